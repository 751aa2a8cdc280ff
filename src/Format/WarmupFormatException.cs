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
public sealed class WarmupFormatException : WarmupException
{
    /// <summary>Creates the exception; the message is composed from the location and the problem.</summary>
    public WarmupFormatException(WarmupErrorKind kind, string problem, string? filePath = null, long? recordIndex = null,
        long? byteOffset = null, Exception? innerException = null)
        : base(problem, filePath, recordIndex, byteOffset, innerException)
    {
        Kind = kind;
    }

    /// <summary>The kind of problem.</summary>
    public WarmupErrorKind Kind { get; }

    /// <summary>Returns the same problem located in <paramref name="filePath"/>, record and offset.</summary>
    public WarmupFormatException WithLocation(string? filePath, long? recordIndex, long? byteOffset) =>
        new(Kind, Problem, filePath ?? FilePath, recordIndex ?? RecordIndex, byteOffset ?? ByteOffset, InnerException);
}
