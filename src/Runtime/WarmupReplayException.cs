using Warmup.Format;
using Warmup.Format.Signatures;

namespace Warmup.Runtime;

/// <summary>What went wrong with a warmup record.</summary>
public enum WarmupFailureKind
{
    /// <summary>The file's framing or a record's bytes are malformed (see <see cref="WarmupReplayException.FormatKind"/>).</summary>
    Format,
    /// <summary>More records than <see cref="WarmupReplayOptions.MaxRecords"/>.</summary>
    TooManyRecords,
    /// <summary>The log type is not replayed (session_run, predict_streamed), as in TF Serving.</summary>
    UnsupportedLogType,
    /// <summary>The record's signature name selects no registered session.</summary>
    UnknownSignature,
    /// <summary>The request lacks what its log type needs (no request, no examples, a bad multi-inference task).</summary>
    InvalidRequest,
    /// <summary>A request input (or feature) matches no session input, or a session input is not fed.</summary>
    UnknownInput,
    /// <summary>An output_filter (or fetch) name matches no session output.</summary>
    UnknownOutput,
    /// <summary>A tensor's dtype differs from the session input's element type.</summary>
    DTypeMismatch,
    /// <summary>A tensor's shape does not fit the session input's shape.</summary>
    ShapeMismatch,
    /// <summary>A dtype that ONNX Runtime cannot run from .NET.</summary>
    UnsupportedDtype,
    /// <summary>A tensor's content is inconsistent (value counts, sizes).</summary>
    InvalidTensor,
    /// <summary>ONNX Runtime failed to run the record.</summary>
    RunFailed,
    /// <summary>The record took longer than <see cref="WarmupReplayOptions.RecordTimeout"/>.</summary>
    Timeout,
    /// <summary>The warmup file could not be opened or read.</summary>
    Io,
}

/// <summary>
/// A warmup record that could not be replayed. The message reads <c>file: record i at byte o: problem</c>, like the
/// Format library's errors (both are <see cref="WarmupException"/>s).
/// </summary>
public sealed class WarmupReplayException : WarmupException
{
    /// <summary>Creates the exception; the message is composed from the location and the problem.</summary>
    public WarmupReplayException(WarmupFailureKind kind, string problem, string? filePath = null, long? recordIndex = null,
        long? byteOffset = null, Exception? innerException = null)
        : base(problem, filePath, recordIndex, byteOffset, innerException)
    {
        Kind = kind;
    }

    /// <summary>The kind of failure.</summary>
    public WarmupFailureKind Kind { get; }

    /// <summary>For <see cref="WarmupFailureKind.Format"/> failures, the Format library's finer kind.</summary>
    public WarmupErrorKind? FormatKind => (InnerException as WarmupFormatException)?.Kind;

    internal WarmupReplayException WithLocation(string? filePath, long? recordIndex, long? byteOffset) =>
        new(Kind, Problem, filePath ?? FilePath, recordIndex ?? RecordIndex, byteOffset ?? ByteOffset, InnerException);

    // The Format library's kinds that name a replay failure of their own; the rest are malformed bytes (Format).
    internal static WarmupReplayException FromFormat(WarmupFormatException ex) => new(
        ex.Kind switch
        {
            WarmupErrorKind.TooManyRecords => WarmupFailureKind.TooManyRecords,
            WarmupErrorKind.UnsupportedDtype => WarmupFailureKind.UnsupportedDtype,
            WarmupErrorKind.InvalidTensor => WarmupFailureKind.InvalidTensor,
            WarmupErrorKind.UnsupportedLogType => WarmupFailureKind.UnsupportedLogType,
            WarmupErrorKind.Io => WarmupFailureKind.Io,
            _ => WarmupFailureKind.Format,
        },
        ex.Problem, ex.FilePath, ex.RecordIndex, ex.ByteOffset, ex);

    // A request tensor that breaks one of Format's tensor rules against a session input.
    internal static WarmupReplayException FromMismatch(TensorMismatch mismatch) => new(
        mismatch.Kind switch
        {
            TensorMismatchKind.UnsupportedDType => WarmupFailureKind.UnsupportedDtype,
            TensorMismatchKind.DType => WarmupFailureKind.DTypeMismatch,
            _ => WarmupFailureKind.ShapeMismatch,
        },
        mismatch.Message);
}
