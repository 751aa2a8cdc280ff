using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Warmup.Runtime.Measurement;

/// <summary>
/// The one JSON schema of a measurement report, the one <c>warmup measure --json</c> prints (docs/cli.md):
/// <c>{"file","device","records":[…],"summary":{"scope",…}}</c>, the keys both scopes share written once.
/// </summary>
internal static class MeasurementJson
{
    /// <summary>Indented, and non-ASCII text left readable (a file name with é).</summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ToJson(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(w);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static void Write(Utf8JsonWriter w, WarmupMeasurementReport measured, string? device)
    {
        ArgumentNullException.ThrowIfNull(w);
        WriteHead(w, measured.Source, device);
        foreach (var shape in measured.Shapes)
        {
            WriteShapeHead(w, shape.FirstRecordIndex, shape.Shape, shape.Signature, shape.Records);
            w.WriteNumber("coldFirstMs", shape.ColdFirstMs);
            w.WriteNumber("warmFirstMs", shape.WarmFirstMs);
            w.WriteNumber("steadyP50Ms", shape.SteadyP50Ms);
            w.WriteNumber("inContextP50Ms", shape.InContextP50Ms);
            w.WriteNumber("coldFirstToSteady", shape.ColdFirstRatio);
            w.WriteNumber("warmFirstToSteady", shape.WarmFirstRatio);
            w.WriteNumber("coldFirstToInContext", shape.ColdFirstInContextRatio);
            w.WriteNumber("warmFirstToInContext", shape.WarmFirstInContextRatio);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        var s = measured.Summary;
        WriteSummaryHead(w, "session", 1, s.Shapes, s.Records, s.Iterations, s.SteadyRuns);
        w.WriteNumber("contextRecord", s.ContextRecordIndex);
        w.WriteNumber("warmupMs", s.WarmupWallMs);
        w.WriteNumber("absorbedColdMs", s.AbsorbedColdMs);
        w.WriteNumber("absorbedSequentialMs", s.AbsorbedSequentialMs);
        WriteRatios(w, s.MaxWarmFirstRatio, s.MedianWarmFirstRatio, s.MaxColdFirstRatio, s.MedianColdFirstRatio);
        w.WriteNumber("maxWarmFirstToInContext", s.MaxWarmFirstInContextRatio);
        w.WriteNumber("medianWarmFirstToInContext", s.MedianWarmFirstInContextRatio);
        w.WriteNumber("maxColdFirstToInContext", s.MaxColdFirstInContextRatio);
        w.WriteNumber("medianColdFirstToInContext", s.MedianColdFirstInContextRatio);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter w, ProcessMeasurementReport measured, string? device)
    {
        ArgumentNullException.ThrowIfNull(w);
        void Range(string name, Spread spread)
        {
            w.WriteStartObject(name);
            w.WriteNumber("min", spread.Min);
            w.WriteNumber("max", spread.Max);
            w.WriteEndObject();
        }

        void Ready(string name, TimeToReady ready)
        {
            w.WriteStartObject(name);
            w.WriteNumber("sessionMs", ready.SessionMs.Median);
            w.WriteNumber("replayMs", ready.ReplayMs.Median);
            w.WriteNumber("totalMs", ready.TotalMs.Median);
            w.WriteNumber("totalMinMs", ready.TotalMs.Min);
            w.WriteNumber("totalMaxMs", ready.TotalMs.Max);
            w.WriteEndObject();
        }

        WriteHead(w, measured.Source, device ?? measured.Summary.Device);
        foreach (var shape in measured.Shapes)
        {
            WriteShapeHead(w, shape.FirstRecordIndex, shape.Shape, shape.Signature, shape.Records);
            w.WriteNumber("coldFirstMs", shape.ColdFirstMs.Median);
            w.WriteNumber("warmFirstMs", shape.WarmFirstMs.Median);
            w.WriteNumber("steadyP50Ms", shape.SteadyP50Ms.Median);
            w.WriteNumber("coldFirstToSteady", shape.ColdFirstToSteady.Median);
            w.WriteNumber("warmFirstToSteady", shape.WarmFirstToSteady.Median);
            w.WriteStartObject("spread");
            Range("coldFirstMs", shape.ColdFirstMs);
            Range("warmFirstMs", shape.WarmFirstMs);
            Range("steadyP50Ms", shape.SteadyP50Ms);
            Range("coldFirstToSteady", shape.ColdFirstToSteady);
            Range("warmFirstToSteady", shape.WarmFirstToSteady);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        var s = measured.Summary;
        WriteSummaryHead(w, "process", s.Processes, s.Shapes, s.Records, s.Iterations, s.SteadyRuns);
        w.WriteNumber("warmupMs", s.Warm.ReplayMs.Median);
        w.WriteStartObject("timeToReadyMs");
        w.WriteNumber("cold", s.Cold.TotalMs.Median);
        w.WriteNumber("warm", s.Warm.TotalMs.Median);
        w.WriteEndObject();
        w.WriteStartObject("timeToReady");
        Ready("cold", s.Cold);
        Ready("warm", s.Warm);
        w.WriteEndObject();
        w.WriteNumber("absorbedSteadyMs", s.AbsorbedSteadyMs.Median);
        WriteRatios(w, s.MaxWarmFirstRatio, s.MedianWarmFirstRatio, s.MaxColdFirstRatio, s.MedianColdFirstRatio);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    // Opens the report and its "records" array.
    private static void WriteHead(Utf8JsonWriter w, string source, string? device)
    {
        w.WriteStartObject();
        w.WriteString("file", source);
        w.WriteString("device", device);
        w.WriteStartArray("records");
    }

    // Opens a record's object with the keys both scopes share.
    private static void WriteShapeHead(Utf8JsonWriter w, long index, string shape, string signature, int records)
    {
        w.WriteStartObject();
        w.WriteNumber("index", index);
        w.WriteString("shape", shape);
        w.WriteString("signature", signature);
        w.WriteNumber("records", records);
    }

    // Opens the summary with the keys both scopes share.
    private static void WriteSummaryHead(Utf8JsonWriter w, string scope, int processes, int shapes, int records, int iterations, int steadyRuns)
    {
        w.WriteStartObject("summary");
        w.WriteString("scope", scope);
        w.WriteNumber("processes", processes);
        w.WriteNumber("shapes", shapes);
        w.WriteNumber("records", records);
        w.WriteNumber("iterations", iterations);
        w.WriteNumber("steadyRuns", steadyRuns);
    }

    // The summary keys both scopes share (first request / back-to-back steady p50).
    private static void WriteRatios(Utf8JsonWriter w, double maxWarm, double medianWarm, double maxCold, double medianCold)
    {
        w.WriteNumber("maxWarmFirstToSteady", maxWarm);
        w.WriteNumber("medianWarmFirstToSteady", medianWarm);
        w.WriteNumber("maxColdFirstToSteady", maxCold);
        w.WriteNumber("medianColdFirstToSteady", medianCold);
    }
}
