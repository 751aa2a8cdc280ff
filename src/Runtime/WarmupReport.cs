using System.Text.Json;
using System.Text.Json.Serialization;
using Warmup.Format.Tensors;

namespace Warmup.Runtime;

/// <summary>What happened to one record.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WarmupRecordStatus>))]
public enum WarmupRecordStatus
{
    /// <summary>Every iteration ran.</summary>
    Ok,
    /// <summary>The record failed (only reported under <see cref="WarmupFailurePolicy.LogAndContinue"/>).</summary>
    Failed,
    /// <summary>Nothing ran: the record has no log type (TF Serving counts it and runs nothing), or iterations are 0.</summary>
    Skipped,
}

/// <summary>One input tensor as fed to the session.</summary>
/// <param name="Name">The session input name.</param>
/// <param name="DType">The TF dtype name, e.g. <c>DT_FLOAT</c>.</param>
/// <param name="Shape">The concrete shape.</param>
public sealed record WarmupTensorShape(string Name, string DType, IReadOnlyList<long> Shape)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}:{DType}{ShapeText.Format(Shape)}";
}

/// <summary>The replay of one record.</summary>
public sealed record WarmupRecordResult
{
    /// <summary>Zero-based record index.</summary>
    public required long Index { get; init; }

    /// <summary>Byte offset of the record in the file.</summary>
    public required long Offset { get; init; }

    /// <summary>predict, classify, regress, multiInference, sessionRun, predictStreamed or none.</summary>
    public required string LogType { get; init; }

    /// <summary>The signature(s) run (several for multi-inference).</summary>
    public IReadOnlyList<string> Signatures { get; init; } = [];

    /// <summary>The tensors fed (of every run, for multi-inference).</summary>
    public IReadOnlyList<WarmupTensorShape> Inputs { get; init; } = [];

    /// <summary>The request shape of each run (the serving API's coverage compares served requests with these).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    internal IReadOnlyList<Warmup.Format.RequestShape> RunShapes { get; init; } = [];

    /// <summary>Wall time of each iteration in milliseconds (all runs of the record).</summary>
    public IReadOnlyList<double> IterationMs { get; init; } = [];

    /// <summary>The last iteration's latency divided by the first's (null with fewer than two iterations).</summary>
    public double? LastToFirstRatio => IterationMs.Count >= 2 && IterationMs[0] > 0 ? IterationMs[^1] / IterationMs[0] : null;

    /// <summary>Ok, failed or skipped.</summary>
    public required WarmupRecordStatus Status { get; init; }

    /// <summary>Why the record failed.</summary>
    public string? Error { get; init; }

    /// <summary>The kind of failure.</summary>
    public WarmupFailureKind? FailureKind { get; init; }
}

/// <summary>Totals of a replay.</summary>
public sealed record WarmupSummary
{
    /// <summary>Records read (including failed and skipped ones).</summary>
    public int Records { get; init; }

    /// <summary>Records whose every iteration ran.</summary>
    public int Replayed { get; init; }

    /// <summary>Records that failed (including a framing error that ended the file).</summary>
    public int Failed { get; init; }

    /// <summary>Records that ran nothing.</summary>
    public int Skipped { get; init; }

    /// <summary>Session runs made (iterations × runs per record).</summary>
    public int Runs { get; init; }

    /// <summary>Wall time of the whole replay, reading included, in milliseconds.</summary>
    public double ElapsedMs { get; init; }

    /// <summary>The largest last-to-first iteration ratio over the records (how much warmup sped the record up).</summary>
    public double? MaxLastToFirstRatio { get; init; }
}

/// <summary>The result of replaying a warmup file. Serialise with <see cref="ToJson"/>.</summary>
public sealed record WarmupReport
{
    /// <summary>The model name (metrics tag).</summary>
    public required string Model { get; init; }

    /// <summary>The warmup file path or stream display name.</summary>
    public required string Source { get; init; }

    /// <summary>False when the file does not exist: nothing ran, which is not an error (TF Serving's behaviour).</summary>
    public bool FileFound { get; init; } = true;

    /// <summary>Iterations per record.</summary>
    public int Iterations { get; init; }

    /// <summary>Parallel replay threads.</summary>
    public int Threads { get; init; }

    /// <summary>Per-record results in record order.</summary>
    public IReadOnlyList<WarmupRecordResult> Records { get; init; } = [];

    /// <summary>A framing problem that ended reading the file early (LogAndContinue only).</summary>
    public string? FileError { get; init; }

    /// <summary>Totals.</summary>
    public required WarmupSummary Summary { get; init; }

    /// <summary>The report as indented camelCase JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, WarmupJsonContext.Default.WarmupReport);

    /// <summary>Reads a report written by <see cref="ToJson"/>.</summary>
    public static WarmupReport? FromJson(string json) => JsonSerializer.Deserialize(json, WarmupJsonContext.Default.WarmupReport);
}

/// <summary>System.Text.Json source-generated metadata for the Runtime's reports (trimming- and AOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(WarmupReport))]

internal sealed partial class WarmupJsonContext : JsonSerializerContext;
