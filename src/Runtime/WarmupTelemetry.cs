using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Warmup.Runtime;

/// <summary>
/// The Runtime's metrics and traces. Instruments mirror TF Serving's <c>/tensorflow/serving/model_warmup_latency</c>
/// (histogram, microseconds) and <c>/tensorflow/serving/model_warmup_records_read</c> (counter), tagged
/// <c>model</c> and <c>status</c>.
/// </summary>
public static partial class WarmupTelemetry
{
    /// <summary>The name of the <see cref="Meter"/> and <see cref="ActivitySource"/>: subscribe to it with OpenTelemetry or a MeterListener.</summary>
    public const string Name = "Warmup.Runtime";

    /// <summary>The <see cref="Meter"/>'s name, for OpenTelemetry's <c>AddMeter</c> (equal to <see cref="Name"/>).</summary>
    public const string MeterName = Name;

    /// <summary>The <see cref="ActivitySource"/>'s name, for OpenTelemetry's <c>AddSource</c> (equal to <see cref="Name"/>).</summary>
    public const string ActivitySourceName = Name;

    /// <summary>The name of the activity (span) started for each replay of a warmup file.</summary>
    public const string ReplayActivityName = "warmup";

    /// <summary>Histogram of a whole warmup's wall time in microseconds; tags <c>model</c>, <c>status</c> (ok, failed, cancelled).</summary>
    public const string LatencyInstrument = "warmup.model_warmup_latency";

    /// <summary>Counter of records read; tags <c>model</c>, <c>status</c> (ok, failed, skipped).</summary>
    public const string RecordsReadInstrument = "warmup.model_warmup_records_read";

    internal static readonly string? Version = typeof(WarmupTelemetry).Assembly.GetName().Version?.ToString();

    internal static readonly ActivitySource Source = new(Name, Version);
}

/// <summary>
/// The Runtime's instruments on one <see cref="Meter"/> named <see cref="WarmupTelemetry.MeterName"/>: the host's, from its
/// <see cref="IMeterFactory"/>, for the models it registers (so the host's metrics pipeline owns and disposes it); one
/// shared meter for <see cref="OnnxWarmup"/> called without a host.
/// </summary>
internal sealed class WarmupInstruments
{
    private WarmupInstruments(Meter meter)
    {
        Latency = meter.CreateHistogram<double>(WarmupTelemetry.LatencyInstrument, "us",
            "Wall time of replaying a model's warmup file (TF Serving's model_warmup_latency).");
        RecordsRead = meter.CreateCounter<long>(WarmupTelemetry.RecordsReadInstrument, "{record}",
            "Warmup records read (TF Serving's model_warmup_records_read).");
        UncoveredRequests = meter.CreateCounter<long>(WarmupTelemetry.UncoveredRequestsInstrument, "{request}",
            "Served requests whose shape (signature, input dtypes and shapes) the warmup did not run.");
        RecordedRequests = meter.CreateCounter<long>(WarmupTelemetry.RecordedRequestsInstrument, "{request}",
            "Served requests recorded into the recorder's warmup file.");
        RecorderDropped = meter.CreateCounter<long>(WarmupTelemetry.RecorderDroppedInstrument, "{request}",
            "Sampled requests the recorder dropped (queue full, file size limit, or not a valid warmup record).");
    }

    /// <summary>The instruments of the replay API called without a host.</summary>
    public static WarmupInstruments Shared { get; } = new(new Meter(WarmupTelemetry.MeterName, WarmupTelemetry.Version));

    /// <summary>The instruments on <paramref name="factory"/>'s meter; <see cref="Shared"/> without a factory.</summary>
    public static WarmupInstruments For(IMeterFactory? factory) =>
        factory is null ? Shared : new(factory.Create(new MeterOptions(WarmupTelemetry.MeterName) { Version = WarmupTelemetry.Version }));

    public Histogram<double> Latency { get; }

    public Counter<long> RecordsRead { get; }

    public Counter<long> UncoveredRequests { get; }

    public Counter<long> RecordedRequests { get; }

    public Counter<long> RecorderDropped { get; }

    public void RecordRead(string model, string status) =>
        RecordsRead.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("status", status));

    public void RecordLatency(string model, string status, double microseconds) =>
        Latency.Record(microseconds, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("status", status));
}

/// <summary>High-performance log messages (source-generated), worded like TF Serving's.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Starting to read warmup data for model at {Path} with model-warmup-options num_request_iterations: {Iterations} num_model_warmup_threads: {Threads} (model {Model}).")]
    public static partial void Starting(ILogger logger, string path, int iterations, int threads, string model);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "Finished reading warmup data for model at {Path}. Number of warmup records read: {Records}. Elapsed time (microseconds): {ElapsedMicroseconds}.")]
    public static partial void Finished(ILogger logger, string path, int records, long elapsedMicroseconds);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "No warmup data file found at {Path}")]
    public static partial void NoWarmupFile(ILogger logger, string path);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Warmup record failed and was skipped (policy LogAndContinue): {Problem}")]
    public static partial void RecordFailed(ILogger logger, string problem, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Warmup failed for model at {Path}: {Problem}")]
    public static partial void WarmupFailed(ILogger logger, string path, string problem, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning,
        Message = "The CUDA execution provider is not available ({Reason}); falling back to the CPU execution provider.")]
    public static partial void CudaFallback(ILogger logger, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Model {Model} is loaded from {ModelPath} on {Provider}; warming up ({Mode}).")]
    public static partial void ModelLoaded(ILogger logger, string model, string modelPath, ExecutionProvider provider, Hosting.WarmupStartupMode mode);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Model {Model} is warm and ready: {Records} warmup record(s) in {ElapsedMs:F1} ms.")]
    public static partial void ModelReady(ILogger logger, string model, int records, double elapsedMs);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "Model {Model} failed to load or warm up: {Problem}")]
    public static partial void ModelFailed(ILogger logger, string model, string problem, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Warmup of model {Model} was cancelled.")]
    public static partial void ModelWarmupCancelled(ILogger logger, string model);
}
