// The serving API's cost per request (WarmedOnnxModel.Run) against calling the same ONNX Runtime session directly, in
// one process run: coverage only (the default), coverage off, and recording on at a 100% sample rate (one record per
// shape; and every request, while the file fills). Interleaved rounds (baseline, variant, baseline, …) and medians of
// per-round means, so machine load hits both sides alike; the figure is the difference, and its ratio to the baseline.
//
//   dotnet run -c Release --project bench/Warmup.Bench.Serving [-- --quick]
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.ML.OnnxRuntime;
using Warmup.Format;
using Warmup.Format.Tensors;
using Warmup.Runtime;
using Warmup.Runtime.Hosting;
using Warmup.Testing;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var quick = args.Contains("--quick");
var rounds = quick ? 9 : 31;
var perRound = quick ? 2_000 : 5_000;
var work = Path.Combine(Path.GetTempPath(), "warmup-bench-serving-" + Environment.ProcessId);
Directory.CreateDirectory(work);
try
{
    Console.WriteLine($"Warmup.Bench.Serving  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  {Environment.ProcessorCount} cores  .NET {Environment.Version}  ORT {OrtEnv.Instance().GetVersionString()}");
    Console.WriteLine($"{rounds} interleaved rounds × {perRound} requests; medians of per-round means; IntraOpNumThreads = 1");
    Console.WriteLine($"load average at start: {LoadAverage()}");
    Console.WriteLine();
    Console.WriteLine("| model, request | variant | direct session.Run | serving API | added per request | added / direct |");
    Console.WriteLine("|---|---|---|---|---|---|");

    foreach (var (label, model, inputs) in new (string, OnnxModelBuilder, (string Name, long[] Shape)[])[]
    {
        ("half_plus_two, x [1,1]", TestModels.HalfPlusTwo(), [("x", [1, 1])]),
        ("two_inputs, a,b [8,3]", TestModels.TwoInputs(), [("a", [8, 3]), ("b", [8, 3])]),
    })
    {
        var path = model.Save(Path.Combine(work, model.Build().Graph.Name, "1", "model.onnx"));
        // The warmup file holds the benchmarked shape, so requests are covered (the common case).
        WarmupFile.Write(Path.Combine(Path.GetDirectoryName(path)!, TfServing.RelativeWarmupPath),
            [Predict(inputs)]);
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(new float[i.Shape.Aggregate(1L, (a, b) => a * b)], i.Shape)).ToArray();
        var feed = inputs.Select((i, n) => (i.Name, values[n])).ToDictionary(p => p.Name, p => p.Item2);
        var names = inputs.Select(i => i.Name).ToArray();

        foreach (var (variant, configure) in new (string, Action<WarmedOnnxModelOptions>)[]
        {
            ("coverage on, recording off (default)", _ => { }),
            ("coverage off, recording off", o => o.Coverage.Enabled = false),
            ("recording on, 100%, one per shape", o => Record(o, WarmupRecordingPolicy.OnePerShape, work)),
            ("recording on, 100%, every request (file full after 1000)", o => Record(o, WarmupRecordingPolicy.EveryNth, work)),
        })
        {
            using var host = await Start(path, configure);
            var served = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("bench");
            var session = served.Session;
            using var runOptions = new RunOptions();
            var outputNames = session.OutputNames;
            void Direct()
            {
                using var outputs = session.Run(runOptions, names, values, outputNames);
            }

            void Api()
            {
                using var outputs = served.Run(feed, outputNames, runOptions);
            }

            var (direct, api) = Compare(Direct, Api, rounds, perRound);
            var added = api - direct;
            Console.WriteLine($"| {label} | {variant} | {direct:F2} µs | {api:F2} µs | {added:F2} µs | {100 * added / direct:F1}% |");
            await host.StopAsync();
        }

        // The floor: reading each input's dtype and shape through ONNX Runtime's .NET API, which any observer must do.
        {
            using var host = await Start(path, o => o.Coverage.Enabled = false);
            var session = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("bench").Session;
            using var runOptions = new RunOptions();
            var outputNames = session.OutputNames;
            void Direct()
            {
                using var outputs = session.Run(runOptions, names, values, outputNames);
            }

            void DirectAndRead()
            {
                using var outputs = session.Run(runOptions, names, values, outputNames);
                foreach (var value in values)
                {
                    _ = value.GetTensorTypeAndShape();
                }
            }

            var (direct, read) = Compare(Direct, DirectAndRead, rounds, perRound);
            Console.WriteLine($"| {label} | floor: session.Run + OrtValue.GetTensorTypeAndShape() per input | {direct:F2} µs | {read:F2} µs | {read - direct:F2} µs | {100 * (read - direct) / direct:F1}% |");
            await host.StopAsync();
        }

        foreach (var value in values)
        {
            value.Dispose();
        }
    }

    // What one accepted record costs the request path: the recorder copies the input bytes and enqueues.
    {
        var path = Path.Combine(work, "two_inputs", "1", "model.onnx");
        using var host = await Start(path, o =>
        {
            Record(o, WarmupRecordingPolicy.EveryNth, work);
            o.Recording.QueueCapacity = 1000;
        });
        var served = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("bench");
        using var a = OrtValue.CreateTensorValueFromMemory(new float[24], [8, 3]);
        using var b = OrtValue.CreateTensorValueFromMemory(new float[24], [8, 3]);
        var feed = new Dictionary<string, OrtValue> { ["a"] = a, ["b"] = b };
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < 1000; i++)
        {
            using var outputs = served.Run(feed);
        }

        var recording = Stopwatch.GetElapsedTime(started).TotalMicroseconds / 1000;
        await host.StopAsync();
        var status = served.RecordingStatus!;
        Console.WriteLine();
        Console.WriteLine($"two_inputs, 1000 requests each recorded (queue 1000): {recording:F2} µs per request including the run; " +
                          $"{status.RecordsWritten} record(s) written, {status.Dropped} dropped, {new FileInfo(status.OutputPath).Length} bytes");
    }

    Console.WriteLine($"load average at end: {LoadAverage()}");
}
finally
{
    Directory.Delete(work, recursive: true);
}

static void Record(WarmedOnnxModelOptions o, WarmupRecordingPolicy policy, string work)
{
    o.Recording.Enabled = true;
    o.Recording.OutputPath = Path.Combine(work, "recorded-" + Guid.NewGuid().ToString("N"));
    o.Recording.Policy = policy;
    o.Recording.EveryNth = 1;
    o.Recording.SampleRate = 1;
}

static async Task<IHost> Start(string path, Action<WarmedOnnxModelOptions> configure)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Services.AddWarmedOnnxModel("bench", o =>
    {
        o.ModelPath = path;
        o.ExecutionProvider = ExecutionProvider.Cpu;
        o.ConfigureSessionOptions = s => s.IntraOpNumThreads = 1;
        configure(o);
    });
    var host = builder.Build();
    await host.StartAsync();
    return host;
}

// Medians of per-round mean µs, baseline and variant interleaved round by round.
static (double Baseline, double Variant) Compare(Action baseline, Action variant, int rounds, int perRound)
{
    for (var i = 0; i < perRound; i++)
    {
        baseline();
        variant();
    }

    var a = new double[rounds];
    var b = new double[rounds];
    for (var r = 0; r < rounds; r++)
    {
        a[r] = Time(baseline, perRound);
        b[r] = Time(variant, perRound);
    }

    return (Statistics.Median(a), Statistics.Median(b));
}

static double Time(Action action, int count)
{
    var started = Stopwatch.GetTimestamp();
    for (var i = 0; i < count; i++)
    {
        action();
    }

    return Stopwatch.GetElapsedTime(started).TotalMicroseconds / count;
}

static Warmup.Format.Protos.Serving.PredictionLog Predict((string Name, long[] Shape)[] inputs)
{
    var request = new Warmup.Format.Protos.Serving.PredictRequest();
    foreach (var (name, shape) in inputs)
    {
        request.Inputs[name] = TensorProtoConverter.FromArray(new float[shape.Aggregate(1L, (a, b) => a * b)], shape);
    }

    return new Warmup.Format.Protos.Serving.PredictionLog { PredictLog = new Warmup.Format.Protos.Serving.PredictLog { Request = request } };
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
