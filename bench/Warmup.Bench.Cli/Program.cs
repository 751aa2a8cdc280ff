// Speed and memory of the warmup CLI's file commands, as ratios against a baseline measured in the same run: reading and
// parsing every record with WarmupFile.Read (what any tool must do at least). Usage:
//   dotnet run -c Release --project bench/Warmup.Bench.Cli [-- --records N --floats F --repeat R] [--models-out DIR]
//   dotnet run -c Release --project bench/Warmup.Bench.Cli -- --process [--repeat R]   (whole process: JIT, ReadyToRun, AOT)
// --models-out DIR also saves the test models (half_plus_two, conv_relu) there, for trying the tool by hand.
using System.Diagnostics;
using System.Globalization;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Tensors;
using Warmup.Testing;

// -- --process: whole-process start-up, JIT vs ReadyToRun vs Native AOT (ProcessStartup.cs).
if (args.Contains("--process"))
{
    ProcessStartup.Run(args);
    return;
}

var records = Option("--records", 1000);
var floats = Option("--floats", 256);
var repeat = Option("--repeat", 7);
if (Array.IndexOf(args, "--models-out") is var m and >= 0 && m + 1 < args.Length)
{
    Directory.CreateDirectory(args[m + 1]);
    TestModels.HalfPlusTwo().Save(Path.Combine(args[m + 1], "half_plus_two.onnx"));
    TestModels.ConvRelu().Save(Path.Combine(args[m + 1], "conv_relu.onnx"));
    Console.WriteLine($"models written to {args[m + 1]}");
}

var directory = Directory.CreateTempSubdirectory("warmup-bench-cli-").FullName;
try
{
    var file = Path.Combine(directory, "requests.tfrecord");
    var json = Path.Combine(directory, "requests.json");
    var values = Enumerable.Range(0, floats).Select(i => i * 0.25f).ToArray();
    WarmupFile.Write(file, Enumerable.Range(0, records).Select(_ => Log(values)));
    Warmup.Cli.Program.Run(["convert", file, json], TextWriter.Null, TextWriter.Null);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"file: {records} records of {floats} floats, {new FileInfo(file).Length / 1024.0:0} KiB (JSON {new FileInfo(json).Length / 1024.0:0} KiB); median of {repeat} runs after one warm-up run"));

    var baseline = Measure(() => WarmupFile.Read(file).Count());
    Console.WriteLine($"{"operation",-48} {"ms",9} {"ratio",7} {"alloc MiB",10}");
    Report("baseline: WarmupFile.Read (parse every record)", baseline, baseline);
    Report("warmup inspect (table)", Cli("inspect", file), baseline);
    Report("warmup inspect --json --values 3", Cli("inspect", file, "--json", "--values", "3"), baseline);
    Report("warmup validate", Cli("validate", file), baseline);
    Report("warmup convert tfrecord -> json (all values)", Cli("convert", file, Path.Combine(directory, "out.json")), baseline);
    Report("warmup convert json -> tfrecord (bytes checked)", Cli("convert", json, Path.Combine(directory, "out.tfrecord")), baseline);
}
finally
{
    Directory.Delete(directory, recursive: true);
}

(double Ms, double AllocMiB) Cli(params string[] arguments) => Measure(() =>
{
    if (Warmup.Cli.Program.Run(arguments, TextWriter.Null, TextWriter.Null) != 0)
    {
        throw new InvalidOperationException($"warmup {string.Join(' ', arguments)} failed");
    }

    return 0;
});

(double Ms, double AllocMiB) Measure(Func<int> action)
{
    action();
    var times = new double[repeat];
    long allocated = 0;
    for (var i = 0; i < repeat; i++)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var started = Stopwatch.GetTimestamp();
        action();
        times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
    }

    Array.Sort(times);
    return (times[repeat / 2], allocated / (1024.0 * 1024.0));
}

static void Report(string name, (double Ms, double AllocMiB) result, (double Ms, double AllocMiB) baseline) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-48} {result.Ms,9:0.00} {result.Ms / baseline.Ms,6:0.00}x {result.AllocMiB,10:0.0}"));

static PredictionLog Log(float[] values)
{
    var request = new PredictRequest { ModelSpec = new ModelSpec { Name = "bench" } };
    request.Inputs.Add("x", TensorProtoConverter.FromArray(values, 1, values.Length));
    return new PredictionLog { PredictLog = new PredictLog { Request = request } };
}

int Option(string name, int fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
