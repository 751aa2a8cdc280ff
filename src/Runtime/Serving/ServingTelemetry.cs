using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Warmup.Runtime;

/// <summary>The serving API's instruments (same <see cref="Meter"/> as the warmup's).</summary>
public static partial class WarmupTelemetry
{
    /// <summary>Counter of served requests whose shape the warmup did not run; tags <c>model</c>, <c>signature</c>.</summary>
    public const string UncoveredRequestsInstrument = "warmup.uncovered_requests";

    /// <summary>Counter of served requests the recorder wrote into its file; tag <c>model</c>.</summary>
    public const string RecordedRequestsInstrument = "warmup.recorder.records";

    /// <summary>Counter of sampled requests the recorder dropped; tags <c>model</c>, <c>reason</c> (queue_full, max_bytes, invalid).</summary>
    public const string RecorderDroppedInstrument = "warmup.recorder.dropped";

}

/// <summary>The serving API's log messages (event ids 140–149).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 140, Level = LogLevel.Information,
        Message = "Model {Model} served a request of a shape its warmup did not run: {Shape}. Its first requests pay the cold start; record traffic (Recording.Enabled) and run `warmup select`, or add a [WarmupSample] of this shape.")]
    public static partial void UncoveredShape(ILogger logger, string model, Warmup.Format.RequestShape shape);

    [LoggerMessage(EventId = 141, Level = LogLevel.Warning,
        Message = "Model {Model} tracks at most {Limit} distinct request shapes (Coverage.MaxDistinctShapes); requests of further shapes are counted as overflow.")]
    public static partial void CoverageOverflow(ILogger logger, string model, int limit);

    [LoggerMessage(EventId = 142, Level = LogLevel.Information, Message = "Model {Model}: recording served requests to {Path} ({Policy}, sample rate {SampleRate}, payload {Payload}).")]
    public static partial void RecordingStarted(ILogger logger, string model, string path, Hosting.WarmupRecordingPolicy policy, double sampleRate, Hosting.WarmupRecordingPayload payload);

    [LoggerMessage(EventId = 143, Level = LogLevel.Warning, Message = "Model {Model}: the recorder cannot write {Path}: {Problem} Requests are still served; the next flush retries.")]
    public static partial void RecordingWriteFailed(ILogger logger, string model, string path, string problem, Exception exception);

    [LoggerMessage(EventId = 144, Level = LogLevel.Information, Message = "Model {Model}: the recorder wrote {Records} record(s) ({Bytes} bytes) to {Path}; {Dropped} sampled request(s) dropped so far.")]
    public static partial void RecordingFlushed(ILogger logger, string model, int records, long bytes, string path, long dropped);

    [LoggerMessage(EventId = 145, Level = LogLevel.Warning, Message = "Model {Model}: the recorder could not record a request: {Problem}")]
    public static partial void RecordingFailed(ILogger logger, string model, string problem, Exception exception);
}
