using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Warmup.Runtime;

// Loads all-MiniLM-L6-v2 from the model package's TF Serving layout, replays its warmup file on ONNX Runtime
// (CUDA when present, CPU otherwise) and prints, per request shape, the first-request latency in a fresh session
// without warmup and after warmup, next to the steady-state median.
var device = ExecutionProviders.Parse(Option("--device") ?? "auto");
var steadyRuns = int.Parse(Option("--steady-runs") ?? "20", CultureInfo.InvariantCulture);
var modelDirectory = Path.Combine(AppContext.BaseDirectory, "models", "all_minilm_l6_v2", "1");
var modelPath = Path.Combine(modelDirectory, "all_minilm_l6_v2.onnx");
var warmupPath = Path.Combine(modelDirectory, "assets.extra", "tf_serving_warmup_requests");
if (!File.Exists(modelPath) || !File.Exists(warmupPath))
{
    Console.Error.WriteLine($"error: {modelDirectory}: the model package's files are missing. Pack samples/TextEmbeddings/Model first (dotnet run --project samples/QuickStart does).");
    return 2;
}

using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
var logger = loggers.CreateLogger("TextEmbeddings");

// One selection for every session: an unavailable CUDA provider is reported once, then CPU is used.
var selection = ExecutionProviders.CreateSessionOptions(device, logger: logger);
using var sessionOptions = selection.Options;
var provider = selection.Provider == ExecutionProvider.Cuda ? "CUDA" : "CPU";

var report = await WarmupMeasurement.MeasureAsync(
    () => new InferenceSession(modelPath, sessionOptions),
    warmupPath,
    new WarmupMeasurementOptions
    {
        SteadyRuns = steadyRuns,
        Replay = new WarmupReplayOptions { ModelName = "all_minilm_l6_v2", Logger = logger },
    });

var summary = report.Summary;
Console.WriteLine();
Console.WriteLine($"all_minilm_l6_v2 on {provider}: {summary.Records} warmup records, {summary.Shapes} shapes, " +
    $"warmup {summary.WarmupWallMs:F0} ms ({summary.Iterations} iterations per record)");
Console.WriteLine();
Console.WriteLine($"{"shape (input_ids)",-22} {"cold first",12} {"warm first",12} {"steady p50",12} {"cold/steady",12} {"warm/steady",12}");
foreach (var shape in report.Shapes)
{
    Console.WriteLine($"{FirstShape(shape.Shape),-22} {Ms(shape.ColdFirstMs),12} {Ms(shape.WarmFirstMs),12} {Ms(shape.SteadyP50Ms),12} " +
        $"{shape.ColdFirstRatio,11:F2}x {shape.WarmFirstRatio,11:F2}x");
}

Console.WriteLine();
Console.WriteLine($"median first request / steady: without warmup {summary.MedianColdFirstRatio:F2}x, with warmup {summary.MedianWarmFirstRatio:F2}x " +
    $"(worst {summary.MaxColdFirstRatio:F2}x vs {summary.MaxWarmFirstRatio:F2}x)");
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
