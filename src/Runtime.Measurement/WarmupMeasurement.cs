using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.TfRecord;

namespace Warmup.Runtime.Measurement;

/// <summary>What the measurement's figures count.</summary>
public enum WarmupClock
{
    /// <summary>Wall time: what a client sees. The default.</summary>
    Wall,

    /// <summary>
    /// CPU time: single runs count the calling thread's CPU time; the warmup replay and the runs it absorbs (in file
    /// order) count the process's CPU time. Immune to other
    /// processes on a busy machine, and faithful only when sessions run on the calling thread (IntraOpNumThreads = 1,
    /// one replay thread). Linux and macOS only.
    /// </summary>
    ThreadCpu,
}

/// <summary>How <see cref="WarmupMeasurement.MeasureAsync"/> measures.</summary>
public sealed class WarmupMeasurementOptions
{
    /// <summary>Wall time (default) or CPU time.</summary>
    public WarmupClock Clock { get; init; } = WarmupClock.Wall;

    /// <summary>
    /// Runs per shape for each steady-state median: back to back, and in context (each after a replay of the file's last
    /// record); default 20.
    /// </summary>
    public int SteadyRuns { get; init; } = 20;

    /// <summary>
    /// How many times the cold, in-file-order and warm phases are repeated, each with fresh sessions; every figure is the
    /// median over the repeats. Default 1; use 3 or more on a busy machine, where a single first request is at the mercy of the scheduler.
    /// </summary>
    public int Repeats { get; init; } = 1;

    /// <summary>How the warm session is warmed (iterations, threads, input-name map…).</summary>
    public WarmupReplayOptions Replay { get; init; } = new();
}

/// <summary>
/// Cold, warm and steady latencies of one request shape (signature, dtypes and shapes of the inputs), with two steady
/// baselines: back to back (the shape run again and again) and in context (the shape run right after the same request,
/// through the same code path, that precedes its warm first request).
/// </summary>
public sealed record ShapeMeasurement
{
    /// <summary>The signature(s) the shape's records run.</summary>
    public required string Signature { get; init; }

    /// <summary>The inputs, e.g. <c>x:DT_FLOAT[1,3,32,32]</c>.</summary>
    public required string Shape { get; init; }

    /// <summary>The first record with this shape.</summary>
    public long FirstRecordIndex { get; init; }

    /// <summary>How many records have this shape.</summary>
    public int Records { get; init; }

    /// <summary>The first request's latency in a fresh session without warmup (ms).</summary>
    public double ColdFirstMs { get; init; }

    /// <summary>Latencies of the first runs (as many as the replay's iterations) in that fresh session (ms).</summary>
    public IReadOnlyList<double> ColdRunsMs { get; init; } = [];

    /// <summary>
    /// The first request's latency in a fresh session right after replaying the warmup file (ms): its inputs are prepared
    /// before the replay, so it directly follows the replay's last run.
    /// </summary>
    public double WarmFirstMs { get; init; }

    /// <summary>Back-to-back steady state: the median over <see cref="WarmupMeasurementOptions.SteadyRuns"/> consecutive runs of the shape (ms).</summary>
    public double SteadyP50Ms { get; init; }

    /// <summary>
    /// Steady state in the warm first request's context: the median over <see cref="WarmupMeasurementOptions.SteadyRuns"/>
    /// runs of the shape, each directly after a replay of the file's last record (the request that precedes the warm
    /// first request), in the same warm session, after the back-to-back runs (ms). It pays what switching from that
    /// request to this shape costs — caches, an idle intra-op thread pool — which no warmup can remove.
    /// </summary>
    public double InContextP50Ms { get; init; }

    /// <summary><see cref="ColdFirstMs"/> / <see cref="SteadyP50Ms"/>.</summary>
    public double ColdFirstRatio => Ratio(ColdFirstMs, SteadyP50Ms);

    /// <summary>
    /// <see cref="WarmFirstMs"/> / <see cref="SteadyP50Ms"/>: the first request after warmup against back-to-back steady
    /// runs. It includes the cost of switching from the previous request, so it can stay above 1.0 after perfect warmup.
    /// </summary>
    public double WarmFirstRatio => Ratio(WarmFirstMs, SteadyP50Ms);

    /// <summary><see cref="ColdFirstMs"/> / <see cref="InContextP50Ms"/>.</summary>
    public double ColdFirstInContextRatio => Ratio(ColdFirstMs, InContextP50Ms);

    /// <summary>
    /// <see cref="WarmFirstMs"/> / <see cref="InContextP50Ms"/>: what warmup leaves of the first-request penalty, against
    /// a baseline that pays the same switch; 1.0 is the physical limit.
    /// </summary>
    public double WarmFirstInContextRatio => Ratio(WarmFirstMs, InContextP50Ms);

    internal static double Ratio(double value, double baseline) => baseline > 0 ? value / baseline : 0;
}

/// <summary>Totals over the shapes of a measurement.</summary>
public sealed record WarmupMeasurementSummary
{
    /// <summary>Distinct request shapes.</summary>
    public int Shapes { get; init; }

    /// <summary>Records in the file that run something.</summary>
    public int Records { get; init; }

    /// <summary>Iterations per record used for the warm session.</summary>
    public int Iterations { get; init; }

    /// <summary>Replay threads used for the warm session.</summary>
    public int Threads { get; init; }

    /// <summary>Runs per shape for the steady p50.</summary>
    public int SteadyRuns { get; init; }

    /// <summary>Times the cold and warm phases were repeated (figures are medians over them).</summary>
    public int Repeats { get; init; }

    /// <summary>What the figures count.</summary>
    public WarmupClock Clock { get; init; }

    /// <summary>The record whose replay precedes each in-context steady run: the file's last record that runs something.</summary>
    public long ContextRecordIndex { get; init; }

    /// <summary>Largest warm-first / back-to-back steady ratio.</summary>
    public double MaxWarmFirstRatio { get; init; }

    /// <summary>Median warm-first / back-to-back steady ratio.</summary>
    public double MedianWarmFirstRatio { get; init; }

    /// <summary>Largest cold-first / back-to-back steady ratio.</summary>
    public double MaxColdFirstRatio { get; init; }

    /// <summary>Median cold-first / back-to-back steady ratio.</summary>
    public double MedianColdFirstRatio { get; init; }

    /// <summary>Largest warm-first / in-context steady ratio: warmup's effectiveness (physical limit 1.0).</summary>
    public double MaxWarmFirstInContextRatio { get; init; }

    /// <summary>Median warm-first / in-context steady ratio.</summary>
    public double MedianWarmFirstInContextRatio { get; init; }

    /// <summary>Largest cold-first / in-context steady ratio.</summary>
    public double MaxColdFirstInContextRatio { get; init; }

    /// <summary>Median cold-first / in-context steady ratio.</summary>
    public double MedianColdFirstInContextRatio { get; init; }

    /// <summary>
    /// Time of replaying the file in a fresh session (reading, mapping and running; wall time, or the process's CPU time
    /// with <see cref="WarmupClock.ThreadCpu"/>), median over every warm session, ms.
    /// </summary>
    public double WarmupWallMs { get; init; }

    /// <summary>
    /// The run time warmup absorbs, shape by shape: for each record, its iterations' latencies in a fresh session per
    /// shape for the first record of a shape, and the back-to-back steady p50 per iteration for repeats of a shape (ms).
    /// </summary>
    public double AbsorbedColdMs { get; init; }

    /// <summary>
    /// The run time warmup absorbs, like for like: the same runs as the replay (every record, its iterations, in file order,
    /// in one fresh session, each record's inputs prepared just before its runs) with only the runs timed, on the same
    /// clock as <see cref="WarmupWallMs"/> (ms).
    /// </summary>
    public double AbsorbedSequentialMs { get; init; }

    /// <summary><see cref="WarmupWallMs"/> / <see cref="AbsorbedColdMs"/>: the replay against each shape's cold runs in its own session.</summary>
    public double WarmupWallRatio => ShapeMeasurement.Ratio(WarmupWallMs, AbsorbedColdMs);

    /// <summary>
    /// <see cref="WarmupWallMs"/> / <see cref="AbsorbedSequentialMs"/>: the replay's own overhead (reading, parsing,
    /// checking, copying, scheduling) over the very runs it makes.
    /// </summary>
    public double WarmupSequentialRatio => ShapeMeasurement.Ratio(WarmupWallMs, AbsorbedSequentialMs);
}

/// <summary>The result of <see cref="WarmupMeasurement.MeasureAsync"/>.</summary>
public sealed record WarmupMeasurementReport
{
    /// <summary>The warmup file measured.</summary>
    public required string Source { get; init; }

    /// <summary>One row per distinct request shape, in file order.</summary>
    public required IReadOnlyList<ShapeMeasurement> Shapes { get; init; }

    /// <summary>Totals and ratios.</summary>
    public required WarmupMeasurementSummary Summary { get; init; }

    /// <summary>
    /// Writes the report as <c>warmup measure --scope session --json</c> prints it (docs/cli.md):
    /// <c>{"file","device","records":[{"index","shape","signature","records","coldFirstMs",…}],"summary":{"scope":"session",…}}</c>.
    /// </summary>
    /// <param name="writer">Where the object goes.</param>
    /// <param name="device">The value of <c>"device"</c>: what the sessions ran on (e.g. <c>cpu</c>), which the session factory knows.</param>
    public void WriteJson(Utf8JsonWriter writer, string? device = null) => MeasurementJson.Write(writer, this, device);

    /// <summary>The report as indented JSON, as <see cref="WriteJson"/> writes it.</summary>
    /// <param name="device">The value of <c>"device"</c>.</param>
    public string ToJson(string? device = null) => MeasurementJson.ToJson(w => WriteJson(w, device));
}

/// <summary>
/// Measures what a warmup file does for a model: per request shape, the first request in a fresh session without
/// warmup (cold), the first request in a fresh session right after replaying the file (warm), and two steady-state
/// medians of the warm session: back to back, and in the warm first request's context (right after the same preceding
/// request, through the same replay code path). Process-wide one-time costs (JIT, ONNX Runtime's environment, thread
/// pools) are absorbed first in a throwaway session fed other data, so that cold numbers show only what a new session
/// pays. Used by <c>warmup measure</c> and the benchmarks.
/// </summary>
public static class WarmupMeasurement
{
    /// <summary>Measures <paramref name="warmupFilePath"/> with sessions from <paramref name="createSession"/> (one per phase and shape, disposed here).</summary>
    /// <param name="createSession">Creates a fresh session of the model (serving the <c>serving_default</c> signature).</param>
    /// <param name="warmupFilePath">The warmup file.</param>
    /// <param name="options">Steady runs and replay options.</param>
    /// <param name="cancellationToken">Stops between runs.</param>
    /// <exception cref="WarmupReplayException">A record cannot be read, mapped or run.</exception>
    public static async Task<WarmupMeasurementReport> MeasureAsync(Func<InferenceSession> createSession, string warmupFilePath,
        WarmupMeasurementOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(createSession);
        ArgumentException.ThrowIfNullOrEmpty(warmupFilePath);
        options ??= new WarmupMeasurementOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SteadyRuns, 1, nameof(options.SteadyRuns));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Repeats, 1, nameof(options.Repeats));
        if (options.Clock == WarmupClock.ThreadCpu && !ThreadCpuClock.IsSupported)
        {
            throw new PlatformNotSupportedException("The ThreadCpu clock needs clock_gettime(CLOCK_THREAD_CPUTIME_ID) (Linux or macOS). Use the Wall clock.");
        }

        var cpu = options.Clock == WarmupClock.ThreadCpu;
        var replay = options.Replay;
        WarmupReplaySteps.Validate(replay);
        var iterations = Math.Max(0, replay.Iterations);

        var records = WarmupReplaySteps.ReadRecords(warmupFilePath, replay);
        var shapes = new List<ShapeState>();
        var recordShapes = new List<ShapeState>();
        var runnable = new List<(long Index, long Offset, PredictionLog Log)>();

        // Phase 0: group records by shape in a throwaway session, then absorb process-wide costs in it on other data.
        using (var throwaway = createSession())
        {
            var sessions = Sessions(throwaway);
            foreach (var (index, offset, _, log) in records)
            {
                using var prepared = WarmupReplaySteps.Prepare(log, sessions, replay, warmupFilePath, index, offset);
                if (prepared.Runs.Count == 0)
                {
                    continue;
                }

                var key = prepared.ShapeKey;
                var shape = shapes.Find(s => s.Key == key);
                if (shape is null)
                {
                    shape = new ShapeState(key, string.Join(" | ", prepared.Signatures.Distinct()),
                        string.Join(" ", prepared.Inputs.Select(s => s.ToString())), index, log, offset);
                    shapes.Add(shape);
                }

                shape.Records++;
                recordShapes.Add(shape);
                runnable.Add((index, offset, log));
            }

            if (shapes.Count > 0)
            {
                AbsorbProcessCosts(shapes[0], sessions, replay, cpu);
            }

            // The replay's own code path (reading, parsing, mapping) is JIT-compiled here by a dry run: nothing runs on the session.
            await OnnxWarmup.RunAsync(throwaway, warmupFilePath, replay with { Iterations = 0, Logger = null }, cancellationToken).ConfigureAwait(false);
        }

        // The context of a warm first request: the replay's last run, of the file's last record that runs something.
        // In-context steady runs follow a replay of that one record (the same code path, so the same gap).
        var context = runnable.Count > 0 ? runnable[^1] : default;
        var contextFile = runnable.Count > 0 ? Frame(context.Log) : [];
        var contextReplay = replay with { ModelName = replay.ModelName ?? warmupFilePath, Iterations = Math.Min(1, iterations), Logger = null };

        // Phases 1–3, repeated with fresh sessions; each figure is the median over the repeats.
        var walls = new List<double>();
        var sequential = new double[options.Repeats];
        for (var repeat = 0; repeat < options.Repeats; repeat++)
        {
            // Phase 1: cold: a fresh session per shape, its first runs timed.
            foreach (var shape in shapes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var session = createSession();
                using var prepared = WarmupReplaySteps.Prepare(shape.Log, Sessions(session), replay, warmupFilePath, shape.FirstIndex, shape.Offset);
                using var runOptions = new RunOptions();
                var runs = new double[Math.Max(1, iterations)];
                for (var i = 0; i < runs.Length; i++)
                {
                    runs[i] = Time(prepared, runOptions, replay.UseIoBinding, cpu);
                }

                shape.ColdRuns.Add(runs);
            }

            // Phase 2: the replay's runs without the replay: every record in file order in one fresh session, its inputs
            // prepared just before its runs, only the runs timed on the replay's clock.
            sequential[repeat] = RunSequentially(createSession, runnable, replay, warmupFilePath, iterations, cpu, cancellationToken);

            // Phase 3: warm, per shape: a fresh session with the shape's inputs ready, the file replayed, the shape's first
            // request at once; then back-to-back steady runs, then steady runs each right after a replay of the context record.
            foreach (var shape in shapes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var session = createSession();
                using var prepared = WarmupReplaySteps.Prepare(shape.Log, Sessions(session), replay, warmupFilePath, shape.FirstIndex, shape.Offset);
                using var runOptions = new RunOptions();
                var started = Stopwatch.GetTimestamp();
                var startedCpu = cpu ? ThreadCpuClock.ProcessNowMs() : 0;
                await OnnxWarmup.RunAsync(session, warmupFilePath, replay, cancellationToken).ConfigureAwait(false);
                var ended = Stopwatch.GetTimestamp();
                var endedCpu = cpu ? ThreadCpuClock.ProcessNowMs() : 0;
                shape.WarmFirst.Add(Time(prepared, runOptions, replay.UseIoBinding, cpu));
                walls.Add(cpu ? endedCpu - startedCpu : Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds);

                var steady = new double[options.SteadyRuns];
                for (var k = 0; k < steady.Length; k++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    steady[k] = Time(prepared, runOptions, replay.UseIoBinding, cpu);
                }

                shape.SteadyP50.Add(Median(steady));

                using var contextStream = new MemoryStream(contextFile, writable: false);
                for (var k = 0; k < steady.Length; k++)
                {
                    contextStream.Position = 0;
                    await OnnxWarmup.RunAsync(session, contextStream, contextReplay, cancellationToken).ConfigureAwait(false);
                    steady[k] = Time(prepared, runOptions, replay.UseIoBinding, cpu);
                }

                shape.InContextP50.Add(Median(steady));
            }
        }

        var absorbed = 0.0;
        var seen = new HashSet<ShapeState>();
        foreach (var shape in recordShapes)
        {
            absorbed += seen.Add(shape) ? shape.ColdRunsMedian.Take(iterations).Sum() : shape.SteadyP50Median * iterations;
        }

        var rows = shapes.Select(s => new ShapeMeasurement
        {
            Signature = s.Signature,
            Shape = s.Shape,
            FirstRecordIndex = s.FirstIndex,
            Records = s.Records,
            ColdFirstMs = s.ColdRunsMedian[0],
            ColdRunsMs = s.ColdRunsMedian,
            WarmFirstMs = Median(s.WarmFirst.ToArray()),
            SteadyP50Ms = s.SteadyP50Median,
            InContextP50Ms = Median(s.InContextP50.ToArray()),
        }).ToArray();
        double[] Ratios(Func<ShapeMeasurement, double> ratio) => rows.Select(ratio).ToArray();
        var warm = Ratios(r => r.WarmFirstRatio);
        var cold = Ratios(r => r.ColdFirstRatio);
        var warmInContext = Ratios(r => r.WarmFirstInContextRatio);
        var coldInContext = Ratios(r => r.ColdFirstInContextRatio);
        return new WarmupMeasurementReport
        {
            Source = warmupFilePath,
            Shapes = rows,
            Summary = new WarmupMeasurementSummary
            {
                Shapes = rows.Length,
                Records = recordShapes.Count,
                Iterations = replay.Iterations,
                Threads = replay.Threads,
                SteadyRuns = options.SteadyRuns,
                Repeats = options.Repeats,
                Clock = options.Clock,
                ContextRecordIndex = context.Index,
                MaxWarmFirstRatio = warm.DefaultIfEmpty().Max(),
                MedianWarmFirstRatio = Median(warm),
                MaxColdFirstRatio = cold.DefaultIfEmpty().Max(),
                MedianColdFirstRatio = Median(cold),
                MaxWarmFirstInContextRatio = warmInContext.DefaultIfEmpty().Max(),
                MedianWarmFirstInContextRatio = Median(warmInContext),
                MaxColdFirstInContextRatio = coldInContext.DefaultIfEmpty().Max(),
                MedianColdFirstInContextRatio = Median(coldInContext),
                WarmupWallMs = Median(walls.ToArray()),
                AbsorbedColdMs = absorbed,
                AbsorbedSequentialMs = Median(sequential),
            },
        };
    }

    private static double RunSequentially(Func<InferenceSession> createSession, List<(long Index, long Offset, PredictionLog Log)> records,
        WarmupReplayOptions replay, string path, int iterations, bool cpu, CancellationToken cancellationToken)
    {
        using var session = createSession();
        var sessions = Sessions(session);
        using var runOptions = new RunOptions();
        var total = 0.0;
        foreach (var (index, offset, log) in records)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var prepared = WarmupReplaySteps.Prepare(log, sessions, replay, path, index, offset);
            var started = Stopwatch.GetTimestamp();
            var startedCpu = cpu ? ThreadCpuClock.ProcessNowMs() : 0;
            for (var i = 0; i < iterations; i++)
            {
                prepared.Run(runOptions, replay.UseIoBinding);
            }

            total += cpu ? ThreadCpuClock.ProcessNowMs() - startedCpu : Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        return total;
    }

    // One record framed as a TFRecord file, for the in-context replays.
    private static byte[] Frame(PredictionLog log)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TfRecordWriter(buffer, leaveOpen: true))
        {
            writer.Write(log.ToByteArray());
        }

        return buffer.ToArray();
    }

    /// <summary>The sessions a single-session model serves: <paramref name="session"/> as <c>serving_default</c>.</summary>
    internal static IReadOnlyDictionary<string, InferenceSession> Sessions(InferenceSession session) =>
        new Dictionary<string, InferenceSession>(StringComparer.Ordinal) { [TfServing.DefaultSignatureName] = session };

    internal static double Time(WarmupPreparedRecord record, RunOptions runOptions, bool useIoBinding, bool cpu)
    {
        var started = Stopwatch.GetTimestamp();
        var startedCpu = cpu ? ThreadCpuClock.NowMs() : 0;
        record.Run(runOptions, useIoBinding);
        return cpu ? ThreadCpuClock.NowMs() - startedCpu : Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    // Other data: the first shape with every symbolic dimension one larger, so no shape the file uses is run here.
    // Should the model refuse it (a symbolic size with hidden constraints), the same record runs instead: still a
    // separate session, so the per-session costs measured later are untouched. The runs go through the timed path, so
    // that its code is compiled before the first timed run.
    private static void AbsorbProcessCosts(ShapeState shape, IReadOnlyDictionary<string, InferenceSession> sessions, WarmupReplayOptions replay, bool cpu)
    {
        using var prepared = WarmupReplaySteps.Prepare(shape.Log, sessions, replay);
        using var runOptions = new RunOptions();
        using var other = prepared.WithInputs(Grow);
        try
        {
            for (var i = 0; i < 3; i++)
            {
                Time(other, runOptions, replay.UseIoBinding, cpu);
            }
        }
        catch (OnnxRuntimeException)
        {
            for (var i = 0; i < 3; i++)
            {
                Time(prepared, runOptions, replay.UseIoBinding, cpu);
            }
        }
    }

    private static OrtValue[] Grow(WarmupPreparedRun run)
    {
        var values = new OrtValue[run.Inputs.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var metadata = run.Session.InputMetadata[run.InputNames[i]];
            var source = run.Inputs[i];
            var info = source.GetTensorTypeAndShape();
            var shape = info.Shape.ToArray();
            for (var d = 0; d < shape.Length && d < metadata.Dimensions.Length; d++)
            {
                if (metadata.Dimensions[d] < 0 && metadata.SymbolicDimensions.Length > d && !string.IsNullOrEmpty(metadata.SymbolicDimensions[d]))
                {
                    shape[d]++;
                }
            }

            var count = shape.Aggregate(1L, (a, b) => a * b);
            var sourceCount = info.ElementCount;
            if (info.ElementDataType == TensorElementType.String)
            {
                values[i] = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
                for (var e = 0; e < count; e++)
                {
                    values[i].StringTensorSetElementAt(sourceCount == 0 ? [] : source.GetStringElementAsSpan((int)(e % sourceCount)), e);
                }

                continue;
            }

            values[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, info.ElementDataType, shape);
            var from = source.GetTensorMutableRawData();
            var to = values[i].GetTensorMutableRawData();
            if (from.Length == 0)
            {
                to.Clear();
                continue;
            }

            for (var at = 0; at < to.Length; at += from.Length)
            {
                from[..Math.Min(from.Length, to.Length - at)].CopyTo(to[at..]);
            }
        }

        return values;
    }

    internal static double Median(double[] values)
    {
        if (values.Length == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private sealed class ShapeState(string key, string signature, string shape, long firstIndex, PredictionLog log, long offset)
    {
        public string Key { get; } = key;
        public string Signature { get; } = signature;
        public string Shape { get; } = shape;
        public long FirstIndex { get; } = firstIndex;
        public long Offset { get; } = offset;
        public PredictionLog Log { get; } = log;
        public int Records { get; set; }
        public List<double[]> ColdRuns { get; } = [];
        public List<double> WarmFirst { get; } = [];
        public List<double> SteadyP50 { get; } = [];
        public List<double> InContextP50 { get; } = [];

        public double[] ColdRunsMedian => Enumerable.Range(0, ColdRuns[0].Length).Select(i => Median(ColdRuns.Select(r => r[i]).ToArray())).ToArray();

        public double SteadyP50Median => Median(SteadyP50.ToArray());
    }
}
