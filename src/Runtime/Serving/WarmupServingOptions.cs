using Warmup.Format;

namespace Warmup.Runtime.Hosting;

/// <summary>How the serving API tracks which served request shapes the warmup covered.</summary>
public sealed class WarmupCoverageOptions
{
    /// <summary>Whether served requests are compared with the warmed shapes. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Most distinct served shapes tracked (default 1000). Requests of further shapes still count toward the totals and
    /// <c>warmup.uncovered_requests</c>, and in <see cref="WarmupCoverageSnapshot.OverflowRequests"/>, but not per shape.
    /// </summary>
    public int MaxDistinctShapes { get; set; } = 1000;

    /// <summary>What is wrong with these options, one message per problem naming the model and the option.</summary>
    internal IEnumerable<string> Problems(string model)
    {
        if (MaxDistinctShapes < 1)
        {
            yield return $"Model {model}: Coverage.MaxDistinctShapes is {MaxDistinctShapes}; it must be at least 1.";
        }
    }
}

/// <summary>Which served requests the recorder keeps.</summary>
public enum WarmupRecordingPolicy
{
    /// <summary>The first sampled request of each distinct request shape (default): a file that covers the traffic seen.</summary>
    OnePerShape,

    /// <summary>Every <see cref="WarmupRecordingOptions.EveryNth"/>-th sampled request: a file whose mix follows the traffic's.</summary>
    EveryNth,
}

/// <summary>What the recorder writes as tensor values.</summary>
public enum WarmupRecordingPayload
{
    /// <summary>The request's own values, every dtype as it came (strings and bytes included). Default.</summary>
    Values,

    /// <summary>Shapes and dtypes only: every value zero (strings empty). No request data leaves the process.</summary>
    Zeros,

    /// <summary>Shapes and dtypes only: seeded random values (floats in [0,1), integers in [0,10), strings of 8 letters).</summary>
    SeededRandom,
}

/// <summary>
/// Opt-in recording of served requests into a warmup file (TF Serving's request-logging format: <c>predict_log</c>
/// PredictionLogs with <c>log_metadata</c>). Off by default: the recorded file holds request inputs (not outputs) unless
/// <see cref="Payload"/> synthesizes values.
/// </summary>
public sealed class WarmupRecordingOptions
{
    /// <summary>Whether requests are recorded. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>The file written (replaced atomically at each flush). Required when enabled.</summary>
    public string? OutputPath { get; set; }

    /// <summary>Fraction of served requests considered for recording, in (0, 1]. Default 1.</summary>
    public double SampleRate { get; set; } = 1.0;

    /// <summary>Most records written, 1 to TF Serving's 1000 (default 1000); recording stops there.</summary>
    public int MaxRecords { get; set; } = TfServing.MaxRecords;

    /// <summary>Most bytes the file may hold (default 64 MiB); a request that would exceed it is dropped and counted.</summary>
    public long MaxBytes { get; set; } = 64L << 20;

    /// <summary>One record per distinct request shape (default), or every Nth request.</summary>
    public WarmupRecordingPolicy Policy { get; set; } = WarmupRecordingPolicy.OnePerShape;

    /// <summary>N for <see cref="WarmupRecordingPolicy.EveryNth"/> (default 100).</summary>
    public int EveryNth { get; set; } = 100;

    /// <summary>Real values (default), or shapes only with zeros or seeded random values.</summary>
    public WarmupRecordingPayload Payload { get; set; } = WarmupRecordingPayload.Values;

    /// <summary>Seed of <see cref="WarmupRecordingPayload.SeededRandom"/>. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Requests waiting to be written; when full, requests are dropped and counted, never waited for. Default 64.</summary>
    public int QueueCapacity { get; set; } = 64;

    /// <summary>How often new records are written out (default 10 s); the host's shutdown writes the rest.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What is wrong with these options, one message per problem naming the model and the option.</summary>
    internal IEnumerable<string> Problems(string model)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(OutputPath))
        {
            yield return $"Model {model}: Recording.OutputPath is required when Recording.Enabled is true.";
        }

        (string Name, bool Ok, object Value, string Expected)[] ranges =
        [
            (nameof(SampleRate), SampleRate > 0 && SampleRate <= 1, SampleRate, "in (0, 1]"),
            (nameof(MaxRecords), MaxRecords is >= 1 and <= TfServing.MaxRecords, MaxRecords, $"1 to {TfServing.MaxRecords}"),
            (nameof(MaxBytes), MaxBytes >= 1, MaxBytes, "at least 1"),
            (nameof(EveryNth), EveryNth >= 1, EveryNth, "at least 1"),
            (nameof(QueueCapacity), QueueCapacity is >= 1 and <= 1 << 16, QueueCapacity, "1 to 65536"),
            (nameof(FlushInterval), FlushInterval > TimeSpan.Zero, FlushInterval, "positive"),
        ];
        foreach (var (name, ok, value, expected) in ranges.Where(r => !r.Ok))
        {
            yield return $"Model {model}: Recording.{name} is {value}; it must be {expected}.";
        }
    }
}

/// <summary>The serving API's options on a registered model.</summary>
public sealed partial class WarmedOnnxModelOptions
{
    /// <summary>Coverage of served request shapes by the warmup (on by default).</summary>
    public WarmupCoverageOptions Coverage { get; set; } = new();

    /// <summary>Opt-in recording of served requests into a warmup file (off by default).</summary>
    public WarmupRecordingOptions Recording { get; set; } = new();
}
