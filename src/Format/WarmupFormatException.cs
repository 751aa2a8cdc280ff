using System.Text;

namespace Warmup.Format;

/// <summary>What is wrong with a warmup file or one of its records.</summary>
public enum WarmupErrorKind
{
    /// <summary>The masked CRC32C of a record's 8 length bytes does not match.</summary>
    HeaderCrc,
    /// <summary>The masked CRC32C of a record's data does not match.</summary>
    DataCrc,
    /// <summary>The file ends inside a record's 12-byte header.</summary>
    TruncatedHeader,
    /// <summary>The file ends inside a record's data or its data CRC.</summary>
    TruncatedData,
    /// <summary>A record's length field points beyond the end of the file, or above the configured limit.</summary>
    LengthBeyondEnd,
    /// <summary>A record is not a valid serialized <c>PredictionLog</c>.</summary>
    ParseError,
    /// <summary>The file holds more records than TF Serving accepts (1000).</summary>
    TooManyRecords,
    /// <summary>The file is gzip or zlib compressed; TF Serving reads only uncompressed warmup files.</summary>
    Compressed,
    /// <summary>A record's log type is one TF Serving does not replay.</summary>
    UnsupportedLogType,
    /// <summary>A tensor's dtype cannot be converted or run.</summary>
    UnsupportedDtype,
    /// <summary>A tensor's shape and content disagree, or its size is absurd.</summary>
    InvalidTensor,
    /// <summary>The file could not be read or written.</summary>
    Io,
    /// <summary>The file holds no records (valid, but nothing is replayed).</summary>
    EmptyFile,
    /// <summary>A record does not fit the model's signature (input names, dtypes, ranks, dims, signature key or method).</summary>
    SignatureMismatch,
}

/// <summary>
/// The one exception type for malformed warmup files and records. Its message names the file, the record index,
/// the byte offset and the problem, and says what to do.
/// </summary>
public sealed class WarmupFormatException : Exception
{
    /// <summary>Creates the exception; the message is composed from the location and the problem.</summary>
    public WarmupFormatException(WarmupErrorKind kind, string problem, string? filePath = null, long? recordIndex = null,
        long? byteOffset = null, Exception? innerException = null)
        : base(Compose(filePath, recordIndex, byteOffset, problem), innerException)
    {
        Kind = kind;
        Problem = problem;
        FilePath = filePath;
        RecordIndex = recordIndex;
        ByteOffset = byteOffset;
    }

    /// <summary>The kind of problem.</summary>
    public WarmupErrorKind Kind { get; }

    /// <summary>The problem alone, without the location prefix.</summary>
    public string Problem { get; }

    /// <summary>The file (or display name of the stream) in which the problem was found, when known.</summary>
    public string? FilePath { get; }

    /// <summary>The zero-based index of the record, when the problem belongs to one.</summary>
    public long? RecordIndex { get; }

    /// <summary>The byte offset of the record's start (or of the problem, for file-level problems).</summary>
    public long? ByteOffset { get; }

    /// <summary>Returns the same problem located in <paramref name="filePath"/>, record and offset.</summary>
    public WarmupFormatException WithLocation(string? filePath, long? recordIndex, long? byteOffset) =>
        new(Kind, Problem, filePath ?? FilePath, recordIndex ?? RecordIndex, byteOffset ?? ByteOffset, InnerException);

    /// <summary>Formats <c>file: record i at byte o: problem</c>, leaving out the parts that are unknown.</summary>
    public static string Compose(string? filePath, long? recordIndex, long? byteOffset, string problem)
    {
        var text = new StringBuilder();
        if (!string.IsNullOrEmpty(filePath))
        {
            text.Append(filePath).Append(": ");
        }

        if (recordIndex is { } index)
        {
            text.Append("record ").Append(index);
            text.Append(byteOffset is { } at ? $" at byte {at}: " : ": ");
        }
        else if (byteOffset is { } offset)
        {
            text.Append("at byte ").Append(offset).Append(": ");
        }

        return text.Append(problem).ToString();
    }
}
