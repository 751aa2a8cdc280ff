using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Warmup.Runtime;
using Warmup.Runtime.Measurement;

// Loads all-MiniLM-L6-v2 from the model package's TF Serving layout and measures what replaying its warmup file on
// ONNX Runtime (CUDA when present, CPU otherwise) does for a freshly started host: this program starts itself again,
// --processes times per condition, as a restarted service would start. Each fresh process creates its session, replays
// the file (warm) or not (cold), then times the first request of each shape and that shape's steady-state median.
var device = ExecutionProviders.Parse(Option("--device") ?? "auto");
var steadyRuns = int.Parse(Option("--steady-runs") ?? "15", CultureInfo.InvariantCulture);
var processes = int.Parse(Option("--processes") ?? "3", CultureInfo.InvariantCulture);
var modelDirectory = Path.Combine(AppContext.BaseDirectory, "models", "all_minilm_l6_v2", "1");
var modelPath = Path.Combine(modelDirectory, "all_minilm_l6_v2.onnx");
var warmupPath = Path.Combine(modelDirectory, "assets.extra", "tf_serving_warmup_requests");
if (!File.Exists(modelPath) || !File.Exists(warmupPath))
{
    Console.Error.WriteLine($"error: {modelDirectory}: the model package's files are missing. Pack samples/TextEmbeddings/Model first (dotnet run --project samples/QuickStart does).");
    return 2;
}

if (Option("--measure-child") is { } condition)
{
    // One fresh process: its session, its replay (warm only), its first requests; one JSON line for the parent.
    var childSelection = ExecutionProviders.CreateSessionOptions(device);
    using var childOptions = childSelection.Options;
    var measured = await ProcessMeasurement.MeasureThisProcessAsync(() => new InferenceSession(modelPath, childOptions), warmupPath,
        condition == "warm" ? MeasurementCondition.Warm : MeasurementCondition.Cold,
        new WarmupMeasurementOptions { SteadyRuns = steadyRuns, Replay = new WarmupReplayOptions { ModelName = "all_minilm_l6_v2" } });
    Console.WriteLine((measured with { Device = childSelection.Provider == ExecutionProvider.Cuda ? "CUDA" : "CPU" }).ToJsonLine());
    return 0;
}

using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
var logger = loggers.CreateLogger("TextEmbeddings");

// The provider every fresh process will get: an unavailable CUDA provider is reported here, once.
using (ExecutionProviders.CreateSessionOptions(device, logger: logger).Options)
{
}

var report = await ProcessMeasurement.MeasureAsync((measuredCondition, _) => ProcessMeasurement.StartInfoFor(Assembly.GetEntryAssembly()!,
    ["--measure-child", measuredCondition == MeasurementCondition.Warm ? "warm" : "cold", "--device", device.ToString().ToLowerInvariant(),
     "--steady-runs", steadyRuns.ToString(CultureInfo.InvariantCulture)]),
    warmupPath, new ProcessMeasurementOptions { Processes = processes });

var summary = report.Summary;
Console.WriteLine();
Console.WriteLine($"all_minilm_l6_v2 on {summary.Device}: {summary.Records} warmup records, {summary.Shapes} shapes; medians over {summary.Processes} fresh processes " +
    $"per condition ({summary.Iterations} iterations per record when warming, steady p50 over {summary.SteadyRuns} runs in each process)");
Console.WriteLine();
Console.WriteLine($"{"shape (input_ids)",-22} {"cold first",12} {"warm first",12} {"steady p50",12} {"cold/steady",12} {"warm/steady",12}");
foreach (var shape in report.Shapes)
{
    Console.WriteLine($"{FirstShape(shape.Shape),-22} {Ms(shape.ColdFirstMs.Median),12} {Ms(shape.WarmFirstMs.Median),12} {Ms(shape.SteadyP50Ms.Median),12} " +
        $"{shape.ColdFirstToSteady.Median,11:F2}x {shape.WarmFirstToSteady.Median,11:F2}x");
}

Console.WriteLine();
Console.WriteLine($"median first request / steady: without warmup {summary.MedianColdFirstRatio:F2}x, with warmup {summary.MedianWarmFirstRatio:F2}x " +
    $"(worst {summary.MaxColdFirstRatio:F2}x vs {summary.MaxWarmFirstRatio:F2}x)");
Console.WriteLine($"time to ready: without warmup {summary.Cold.TotalMs.Median:F0} ms (session), with warmup {summary.Warm.TotalMs.Median:F0} ms " +
    $"(session {summary.Warm.SessionMs.Median:F0} ms + replay {summary.Warm.ReplayMs.Median:F0} ms)");
return 0;

static string Ms(double value) => value.ToString("F2", CultureInfo.InvariantCulture) + " ms";

// "input_ids[8,64] attention_mask[8,64] …" → "[8,64]": all three inputs share the shape.
static string FirstShape(string shape)
{
    var start = shape.IndexOf('[', StringComparison.Ordinal);
    var end = shape.IndexOf(']', StringComparison.Ordinal);
    return start >= 0 && end > start ? shape[start..(end + 1)] : shape;
}

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
