using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.TfRecord;

namespace Warmup.Cli;

/// <summary>One record with its exact bytes (for lossless conversion) and its parsed form.</summary>
internal sealed record RawRecord(long Index, long Offset, byte[] Bytes, PredictionLog Log);

/// <summary>Opening the files a command is given, with one-line errors (exit code 2) for missing or wrong paths.</summary>
internal static class InputFiles
{
    /// <summary>Checks that <paramref name="path"/> is an existing regular file (not a directory, FIFO or device).</summary>
    public static string RequireFile(string path, string what)
    {
        try
        {
            SafeFile.RequireRegular(path, what);
            return path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, ex.Message, ex);
        }
    }

    /// <summary>Opens a regular file for reading; anything else raises a usage error naming the file.</summary>
    public static FileStream OpenRead(string path, string what)
    {
        try
        {
            return SafeFile.OpenRead(path, what, 1 << 16);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, ex.Message.StartsWith(path, StringComparison.Ordinal) ? ex.Message : $"{path}: cannot open {what} ({ex.Message}).", ex);
        }
    }

    /// <summary>
    /// Reads a warmup file's records lazily with their exact bytes; memory is bounded by the largest record. Any number of
    /// records is read (the 1000-record limit is a validation finding, not a reading error).
    /// </summary>
    /// <remarks>
    /// A partial record header at the end (1–11 bytes) ends the file with a warning, as TF Serving reads it as the end of
    /// file; every other framing problem raises <see cref="WarmupFormatException"/>.
    /// </remarks>
    public static IEnumerable<RawRecord> ReadRaw(string path, CliContext context)
    {
        using var stream = OpenRead(path, "the warmup file");
        using var reader = new TfRecordReader(stream, path);
        while (true)
        {
            try
            {
                if (!reader.MoveNext())
                {
                    break;
                }
            }
            catch (WarmupFormatException ex) when (ex.Kind == WarmupErrorKind.TruncatedHeader)
            {
                context.Warning(ex.Message);
                break;
            }

            var entry = reader.Current;
            var log = WarmupFile.ParseRecord(entry.Data.Span, entry.Index, entry.Offset, path);
            yield return new RawRecord(entry.Index, entry.Offset, entry.Data.ToArray(), log);
        }
    }

    /// <summary>The warmup file of a model version directory, when a directory is given (TF Serving's layout).</summary>
    public static string ResolveWarmupFile(string path)
    {
        if (Directory.Exists(path))
        {
            var candidate = Path.Combine(path, TfServing.RelativeWarmupPath);
            if (File.Exists(candidate))
            {
                return candidate;
            }

            throw CliException.Usage($"{path}: is a directory without {TfServing.RelativeWarmupPath}. Pass the warmup file's path.");
        }

        return path;
    }
}

/// <summary>
/// Writes a command's output file through <see cref="SafeFile.WriteAtomic"/> (temp file, then rename; only a regular file
/// is replaced; a link to a regular file writes its target), or to standard output when the path is <c>-</c>. Interrupting
/// the command removes the temp file.
/// </summary>
internal static class OutputFile
{
    public const string StandardOutput = "-";

    /// <summary>Writes <paramref name="path"/>; returns false when the file already held exactly these bytes.</summary>
    public static bool Write(CliContext context, string path, Action<Stream> write, bool preserveUnchanged = false)
    {
        if (path == StandardOutput)
        {
            var stdout = context.OpenStandardOutput();
            write(stdout);
            stdout.Flush();
            return true;
        }

        try
        {
            return SafeFile.WriteAtomic(path, write, new AtomicWriteOptions { PreserveUnchanged = preserveUnchanged, CancellationToken = context.Cancellation });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, ex.Message.StartsWith(path, StringComparison.Ordinal) || ex.Message.StartsWith(Path.GetFullPath(path), StringComparison.Ordinal)
                ? ex.Message
                : $"{path}: cannot write the file ({ex.Message}). Check that the folder is writable.", ex);
        }
    }
}
