using System.ComponentModel;
using Microsoft.Extensions.Logging;
using Warmup.Format;
using Warmup.Format.Tensors;

namespace Warmup.Runtime;

/// <summary>What the replay does when a record cannot be mapped or run.</summary>
public enum WarmupFailurePolicy
{
    /// <summary>Stop at the first failing record and throw <see cref="WarmupReplayException"/>: TF Serving fails the model load. The default.</summary>
    FailLoad,

    /// <summary>Log the failure, count it in the report and metrics, and go on with the next record.</summary>
    LogAndContinue,
}

/// <summary>
/// How a warmup file is replayed on ONNX Runtime. The defaults follow TF Serving, except <see cref="Iterations"/>
/// (see there). Immutable: derive a variant with <c>options with { Iterations = 0 }</c>.
/// </summary>
public sealed record WarmupReplayOptions
{
    /// <summary>
    /// The default number of runs per record: 2. ONNX Runtime (memory patterns on, the default) plans memory on the first
    /// run of a new input shape and uses the plan from the second on, and the CUDA provider's graphs need two regular
    /// runs before capture; TF Serving's default of one run leaves that second step to the first real request. The extra
    /// run costs one steady-state inference per record. Measured figures: docs/performance-runtime.md.
    /// </summary>
    public const int DefaultIterations = 2;

    /// <summary>The model name used as the <c>model</c> tag of metrics and in logs; null uses the file path.</summary>
    public string? ModelName { get; init; }

    /// <summary>
    /// Runs per record (TF Serving's <c>num_request_iterations</c>). Like TF Serving, a value &lt;= 0 runs nothing;
    /// records are still read, mapped and checked against the session, which makes 0 a dry run.
    /// </summary>
    public int Iterations { get; init; } = DefaultIterations;

    /// <summary>
    /// Records replayed in parallel (TF Serving's <c>num_model_warmup_threads</c>); default 1. More threads shorten the
    /// replay only while threads × the session's intra-op threads fit the cores.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>Most records read (TF Serving's 1000); more fail the replay. Null reads any number.</summary>
    public int? MaxRecords { get; init; } = TfServing.MaxRecords;

    /// <summary>Fail the load on the first bad record (default, TF Serving's behaviour) or log and continue.</summary>
    public WarmupFailurePolicy FailurePolicy { get; init; } = WarmupFailurePolicy.FailLoad;

    /// <summary>Longest time all iterations of one record may take; the run in flight is terminated. Null: no limit.</summary>
    public TimeSpan? RecordTimeout { get; init; }

    /// <summary>
    /// Request input names (or tf.Example feature names) → session input names, consulted after the exact name and
    /// TensorFlow tensor names (<c>x:0</c>, <c>serving_default_x:0</c>); see <see cref="Format.InputNames"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string>? InputNameMap { get; init; }

    /// <summary>
    /// Replay <c>session_run_log</c> records by feeding their tensors to the session's inputs and fetching their fetch
    /// names. TF Serving rejects them (<c>Unsupported log_type for warmup: 5</c>), which is the default.
    /// </summary>
    public bool AllowSessionRunFeeds { get; init; }

    /// <summary>
    /// Run through <c>OrtIoBinding</c> with outputs bound to the session's output devices instead of
    /// <c>InferenceSession.Run</c>. Hosts that serve through IOBinding (required by CUDA graphs) should warm the
    /// same way.
    /// </summary>
    public bool UseIoBinding { get; init; }

    /// <summary>Bounds on request tensors, checked before anything is allocated.</summary>
    // A fresh instance (equal to TensorLimits.Default) per options object: configuration binding fills the instance it
    // finds, and must never write into the shared default.
    public TensorLimits TensorLimits { get; init; } = new();

    /// <summary>Where start, finish and failure lines go; null logs nothing.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Sees the replay's stages (benchmark instrumentation, e.g. Warmup.Runtime.Measurement's <c>ReplayProfile</c>); null, the
    /// default, times nothing.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public IWarmupReplayProfiler? Profiler { get; init; }

    /// <summary>Where the metrics go: the host's meter for a registered model; null, the shared meter.</summary>
    internal WarmupInstruments? Instruments { get; init; }

    /// <summary>The options out of range: each one's name, value and rule (one table for the replay and the host's validation).</summary>
    internal IEnumerable<(string Option, object? Value, string Rule)> Problems()
    {
        if (Threads < 1)
        {
            yield return (nameof(Threads), Threads, "must be at least 1");
        }

        if (MaxRecords is < 0)
        {
            yield return (nameof(MaxRecords), MaxRecords, "must be null or non-negative");
        }

        if (RecordTimeout is { } timeout && timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            yield return (nameof(RecordTimeout), timeout, "must be positive");
        }
    }

    internal void Validate()
    {
        foreach (var (option, value, rule) in Problems())
        {
            throw new ArgumentOutOfRangeException(option, value, $"{option} {rule}.");
        }
    }
}
