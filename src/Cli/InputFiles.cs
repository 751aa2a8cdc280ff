using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.TfRecord;

namespace Warmup.Cli;

/// <summary>One record with its exact bytes (for lossless conversion) and its parsed form.</summary>
internal sealed record RawRecord(long Index, long Offset, byte[] Bytes, PredictionLog Log);

/// <summary>Opening the files a command is given, with one-line errors (exit code 2) for missing or wrong paths.</summary>
internal static class InputFiles
{
    /// <summary>Checks that <paramref name="path"/> is an existing file (not a directory).</summary>
    public static string RequireFile(string path, string what)
    {
        if (Directory.Exists(path))
        {
            throw CliException.Usage($"{path}: is a directory, but {what} must be a file. Pass the file's path.");
        }

        if (!File.Exists(path))
        {
            throw CliException.Usage($"{path}: file not found. Check the path of {what}.");
        }

        return path;
    }

    /// <summary>Opens a file for reading; missing files and directories raise usage errors.</summary>
    public static FileStream OpenRead(string path, string what)
    {
        RequireFile(path, what);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"{path}: cannot open {what} ({ex.Message}).", ex);
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

/// <summary>Writes an output file atomically: a temp file in the same folder, renamed over the target when complete.</summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw CliException.Usage($"{path}: is a directory. Pass an output file path.");
        }

        var directory = Path.GetDirectoryName(fullPath)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(directory);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"{path}: cannot write the file ({ex.Message}). Check that the folder is writable.", ex);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
