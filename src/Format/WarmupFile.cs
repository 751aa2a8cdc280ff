using System.Buffers;
using System.Collections;
using Google.Protobuf;
using Warmup.Format.Protos.Serving;
using Warmup.Format.TfRecord;

namespace Warmup.Format;

/// <summary>One PredictionLog read from a warmup file, with where it was found.</summary>
/// <param name="Index">Zero-based record index.</param>
/// <param name="Offset">Byte offset of the record's header.</param>
/// <param name="Length">Length of the serialized PredictionLog in bytes.</param>
/// <param name="Log">The parsed record.</param>
public sealed record WarmupRecord(long Index, long Offset, int Length, PredictionLog Log);

/// <summary>Options for reading warmup files.</summary>
public sealed class WarmupReadOptions
{
    /// <summary>
    /// Most records read before <see cref="WarmupErrorKind.TooManyRecords"/> is raised; default TF Serving's 1000.
    /// Null reads any number (for tools that inspect oversized files).
    /// </summary>
    public int? MaxRecords { get; init; } = TfServing.MaxRecords;

    /// <summary>Framing options (record size bound, CRC verification).</summary>
    public TfRecordReaderOptions Framing { get; init; } = new();
}

/// <summary>Options for writing warmup files.</summary>
public sealed class WarmupWriteOptions
{
    /// <summary>Most records accepted; default TF Serving's 1000.</summary>
    public int MaxRecords { get; init; } = TfServing.MaxRecords;

    /// <summary>Whether each record is checked with <see cref="WarmupValidator.ValidateLog"/> before anything is replaced. Default true.</summary>
    public bool Validate { get; init; } = true;

    /// <summary>When the existing file already holds the same bytes, leave it (and its timestamp) untouched. Default true.</summary>
    public bool PreserveUnchanged { get; init; } = true;

    /// <summary>Stops the write between records; the temp file is removed and the existing file untouched.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>What <see cref="WarmupFile.Write(string, IEnumerable{PredictionLog}, WarmupWriteOptions?)"/> did.</summary>
/// <param name="Path">The file.</param>
/// <param name="Records">Records written.</param>
/// <param name="Bytes">File size in bytes.</param>
/// <param name="Changed">False when the file already held exactly these bytes and was left alone.</param>
public sealed record WarmupWriteResult(string Path, int Records, long Bytes, bool Changed);

/// <summary>
/// Reads and writes <c>tf_serving_warmup_requests</c> files: TFRecord files of serialized <see cref="PredictionLog"/>.
/// Reading is lazy and streaming and opens regular files only (a FIFO or device is refused before anything blocks);
/// writing is atomic and deterministic (maps sorted by key) and follows <see cref="SafeFile.WriteAtomic"/>'s rules: temp
/// file in the same directory, then rename; only a regular file is replaced.
/// </summary>
public static class WarmupFile
{
    // Small on purpose: record payloads are read straight into the reader's buffer, so the file buffer only serves the
    // 12-byte headers and 4-byte CRCs, and a large one would add to peak memory for nothing.
    private const int ReadBufferBytes = 4096;

    /// <summary>
    /// Reads the records of <paramref name="path"/> lazily. Each enumeration reads the file from its start; while
    /// enumerating, only the current record is held (the previous one is released before the next is read).
    /// </summary>
    /// <exception cref="WarmupFormatException">The file cannot be opened (raised here) or is malformed (raised while enumerating).</exception>
    public static IEnumerable<WarmupRecord> Read(string path, WarmupReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromPath(path, options, useAsync: false);
    }

    /// <summary>
    /// Reads the records of <paramref name="stream"/> lazily, from its current position; <paramref name="displayName"/>
    /// names it in errors. The stream is left open.
    /// </summary>
    public static IEnumerable<WarmupRecord> Read(Stream stream, string? displayName = null, WarmupReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new RecordSequence(() => stream, displayName, options ?? new WarmupReadOptions(), leaveOpen: true, default);
    }

    /// <summary>Reads the records of <paramref name="path"/> asynchronously.</summary>
    /// <exception cref="WarmupFormatException">The file cannot be opened (raised here) or is malformed (raised while enumerating).</exception>
    public static IAsyncEnumerable<WarmupRecord> ReadAsync(string path, WarmupReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromPath(path, options, useAsync: true, cancellationToken);
    }

    /// <summary>Reads the records of <paramref name="stream"/> asynchronously, from its current position. The stream is left open.</summary>
    public static IAsyncEnumerable<WarmupRecord> ReadAsync(Stream stream, string? displayName = null, WarmupReadOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new RecordSequence(() => stream, displayName, options ?? new WarmupReadOptions(), leaveOpen: true, cancellationToken);
    }

    // The file is opened here, so that a missing file is reported at the call; later enumerations reopen it.
    private static RecordSequence FromPath(string path, WarmupReadOptions? options, bool useAsync, CancellationToken cancellationToken = default)
    {
        FileStream? opened = OpenRead(path, useAsync);
        return new RecordSequence(() => Interlocked.Exchange(ref opened, null) ?? OpenRead(path, useAsync), path, options ?? new WarmupReadOptions(),
            leaveOpen: false, cancellationToken);
    }

    /// <summary>Parses one record's payload, naming the file, index and offset on failure.</summary>
    public static PredictionLog ParseRecord(ReadOnlySpan<byte> data, long index, long offset, string? displayName = null)
    {
        try
        {
            return PredictionLog.Parser.ParseFrom(data);
        }
        catch (Exception ex) when (IsParserFailure(ex))
        {
            throw ParseFailure(ex, index, offset, displayName);
        }
    }

    // The same for a payload that streams in (TfRecordReader.MoveNextParsed).
    internal static PredictionLog ParseRecord(ReadOnlySequence<byte> data, long index, long offset, string? displayName)
    {
        try
        {
            return PredictionLog.Parser.ParseFrom(data);
        }
        catch (Exception ex) when (IsParserFailure(ex))
        {
            throw ParseFailure(ex, index, offset, displayName);
        }
    }

    // Google.Protobuf reports malformed input as InvalidProtocolBufferException; the others are caught as well so that no
    // parser corner case can escape as anything but WarmupFormatException.
    private static bool IsParserFailure(Exception ex) =>
        ex is InvalidProtocolBufferException or ArgumentException or InvalidOperationException or OverflowException
            or IndexOutOfRangeException or FormatException or NotSupportedException;

    private static WarmupFormatException ParseFailure(Exception ex, long index, long offset, string? displayName) =>
        new(WarmupErrorKind.ParseError,
            $"not a valid PredictionLog ({ex.Message}). The file must hold serialized tensorflow.serving.PredictionLog records.",
            displayName, index, offset, ex);

    /// <summary>
    /// Writes <paramref name="logs"/> to <paramref name="path"/> atomically and deterministically. On any failure the
    /// existing file is untouched and no temp file is left behind.
    /// </summary>
    /// <exception cref="WarmupFormatException">A record breaks TF Serving's rules, or the file cannot be written.</exception>
    public static WarmupWriteResult Write(string path, IEnumerable<PredictionLog> logs, WarmupWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(logs);
        options ??= new WarmupWriteOptions();
        int records = 0;
        long bytes = 0;
        try
        {
            var changed = SafeFile.WriteAtomic(path, stream => (records, bytes) = WriteRecords(stream, logs, options, path),
                new AtomicWriteOptions { PreserveUnchanged = options.PreserveUnchanged, CancellationToken = options.CancellationToken });
            return new WarmupWriteResult(Path.GetFullPath(path), records, bytes, changed);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WarmupFormatException(WarmupErrorKind.Io, $"cannot write the warmup file ({StripPath(ex.Message, path)}).", path, innerException: ex);
        }
    }

    // SafeFile's messages start with the path, which the exception's location already names.
    internal static string StripPath(string message, string path) =>
        message.StartsWith(path + ": ", StringComparison.Ordinal) ? message[(path.Length + 2)..].TrimEnd('.') : message.TrimEnd('.');

    /// <summary>Writes <paramref name="logs"/> to <paramref name="stream"/> as TFRecord framing, deterministically. Returns the record count.</summary>
    public static int Write(Stream stream, IEnumerable<PredictionLog> logs, WarmupWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(logs);
        return WriteRecords(stream, logs, options ?? new WarmupWriteOptions(), displayName: null).Records;
    }

    private static (int Records, long Bytes) WriteRecords(Stream stream, IEnumerable<PredictionLog> logs, WarmupWriteOptions options, string? displayName)
    {
        using var writer = new TfRecordWriter(stream, leaveOpen: true);
        foreach (var log in logs)
        {
            var index = writer.RecordsWritten;
            if (index >= options.MaxRecords)
            {
                throw new WarmupFormatException(WarmupErrorKind.TooManyRecords,
                    $"more than {options.MaxRecords} records; TF Serving fails the load above {TfServing.MaxRecords}. Remove samples or batch sizes.",
                    displayName, index, writer.BytesWritten);
            }

            if (options.Validate)
            {
                foreach (var issue in WarmupValidator.ValidateLog(log))
                {
                    if (issue.Severity == WarmupIssueSeverity.Error)
                    {
                        throw new WarmupFormatException(issue.Kind, issue.Message, displayName, index, writer.BytesWritten);
                    }
                }
            }

            writer.Write(DeterministicProto.Serialize(log));
        }

        writer.Flush();
        return ((int)writer.RecordsWritten, writer.BytesWritten);
    }

    private static FileStream OpenRead(string path, bool useAsync = false)
    {
        try
        {
            return SafeFile.OpenRead(path, "the warmup file", ReadBufferBytes, useAsync ? FileOptions.Asynchronous : FileOptions.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var problem = ex switch
            {
                FileNotFoundException or DirectoryNotFoundException => "file not found. Check the path.",
                _ when Directory.Exists(path) => "is a directory, not a warmup file. Pass the path of the tf_serving_warmup_requests file.",
                _ => StripPath(ex.Message, path) + ".",
            };
            throw new WarmupFormatException(WarmupErrorKind.Io, problem, path, innerException: ex);
        }
    }

    private sealed class RecordSequence(Func<Stream> open, string? displayName, WarmupReadOptions options, bool leaveOpen,
        CancellationToken cancellationToken) : IEnumerable<WarmupRecord>, IAsyncEnumerable<WarmupRecord>
    {
        public IEnumerator<WarmupRecord> GetEnumerator() => new RecordEnumerator(Reader(), displayName, options, null, cancellationToken);

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public IAsyncEnumerator<WarmupRecord> GetAsyncEnumerator(CancellationToken token = default)
        {
            if (!token.CanBeCanceled || token == cancellationToken)
            {
                return new RecordEnumerator(Reader(), displayName, options, null, cancellationToken);
            }

            if (!cancellationToken.CanBeCanceled)
            {
                return new RecordEnumerator(Reader(), displayName, options, null, token);
            }

            var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, token);
            return new RecordEnumerator(Reader(), displayName, options, linked, linked.Token);
        }

        private TfRecordReader Reader() => new(open(), displayName, options.Framing, leaveOpen);
    }

    // A hand-written enumerator rather than an iterator: it releases the previous record before reading the next one,
    // so peak memory while reading is one record (plus the reader's window), not two records. Synchronous reading parses
    // each record as it streams in (TfRecordReader.MoveNextParsed), so the raw record is never held whole; asynchronous
    // reading reads the record into the reader's buffer first, then parses it (Google.Protobuf has no asynchronous parser).
    private sealed class RecordEnumerator(TfRecordReader reader, string? displayName, WarmupReadOptions options,
        CancellationTokenSource? linked, CancellationToken cancellationToken) : IEnumerator<WarmupRecord>, IAsyncEnumerator<WarmupRecord>
    {
        private readonly PayloadParser<WarmupRecord> _parse = (payload, index, offset) =>
            new WarmupRecord(index, offset, (int)payload.Length, ParseRecord(payload, index, offset, displayName));

        public WarmupRecord Current { get; private set; } = null!;

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            Current = null!;
            if (reader.NextIndex >= options.MaxRecords)
            {
                // One record too many: it is read (so a broken record is reported as such, as when reading asynchronously),
                // not parsed, and refused.
                if (!reader.MoveNext())
                {
                    return false;
                }

                Current = ToRecord(reader.Current, displayName, options);
                return true;
            }

            if (!reader.MoveNextParsed(_parse, out var record))
            {
                return false;
            }

            Current = record;
            return true;
        }

        public async ValueTask<bool> MoveNextAsync()
        {
            Current = null!;
            if (!await reader.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            Current = ToRecord(reader.Current, displayName, options);
            return true;
        }

        public void Reset() => throw new NotSupportedException("Enumerate again instead.");

        public void Dispose()
        {
            Current = null!;
            reader.Dispose();
            linked?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static WarmupRecord ToRecord(TfRecordEntry entry, string? displayName, WarmupReadOptions options)
    {
        if (entry.Index >= options.MaxRecords)
        {
            throw new WarmupFormatException(WarmupErrorKind.TooManyRecords,
                $"too many records: the limit is {options.MaxRecords} (TF Serving fails the load above {TfServing.MaxRecords}). Remove records.",
                displayName, entry.Index, entry.Offset);
        }

        return new WarmupRecord(entry.Index, entry.Offset, entry.Length, ParseRecord(entry.Data.Span, entry.Index, entry.Offset, displayName));
    }
}
