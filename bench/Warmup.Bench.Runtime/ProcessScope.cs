using System.Globalization;
using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Warmup.Runtime;
using Warmup.Runtime.Measurement;

/// <summary>
/// The benchmark's fresh-process section: every figure from a new process of this program (<c>--measure-child</c>), as a
/// restarted host meets cold start, through Warmup.Runtime's <see cref="ProcessMeasurement"/>. Default session options
/// (all cores), wall clock: what a deployed host sees.
/// </summary>
internal static class ProcessScope
{
    public const string ChildArgument = "--measure-child";

    /// <summary>The child: <c>--measure-child MODEL FILE cold|warm STEADY_RUNS</c>; prints one JSON line.</summary>
    public static async Task<int> ChildAsync(string[] args)
    {
        var (model, file, condition, steadyRuns) = (args[1], args[2], args[3] == "warm" ? MeasurementCondition.Warm : MeasurementCondition.Cold,
            int.Parse(args[4], CultureInfo.InvariantCulture));
        var measured = await ProcessMeasurement.MeasureThisProcessAsync(() => new InferenceSession(model), file, condition,
            new WarmupMeasurementOptions { SteadyRuns = steadyRuns });
        Console.WriteLine((measured with { Device = "cpu" }).ToJsonLine());
        return 0;
    }

    public sealed record Case(string Name, string ModelPath, string File);

    /// <summary>Measures each case with <paramref name="processes"/> fresh processes per condition and prints tables and verdicts.</summary>
    public static async Task RunAsync(IReadOnlyList<Case> cases, int processes, int steadyRuns, Func<string> loadAverage)
    {
        var results = new List<(Case Case, ProcessMeasurementReport Report, string Load)>();
        foreach (var c in cases)
        {
            var load = loadAverage();
            var report = await ProcessMeasurement.MeasureAsync((condition, _) => ProcessMeasurement.StartInfoFor(Assembly.GetEntryAssembly()!,
                [ChildArgument, c.ModelPath, c.File, condition == MeasurementCondition.Warm ? "warm" : "cold", steadyRuns.ToString(CultureInfo.InvariantCulture)]),
                c.File, new ProcessMeasurementOptions { Processes = processes, ChildTimeout = TimeSpan.FromMinutes(10) });
            var s = report.Summary;
            Console.WriteLine($"## Fresh processes: {c.Name} — {processes} processes per condition (cold and warm alternating), {s.Iterations} iterations per record, " +
                $"steady p50 over {s.SteadyRuns} runs in each process; medians [min–max] over processes, each ratio within its process; load average before {load}, after {loadAverage()}");
            Console.WriteLine("| shape | cold first | warm first | steady p50 | cold first / steady | warm first / steady |");
            Console.WriteLine("|---|---|---|---|---|---|");
            foreach (var shape in report.Shapes)
            {
                Console.WriteLine($"| {shape.Shape} | {Ms(shape.ColdFirstMs)} | {Ms(shape.WarmFirstMs)} | {Ms(shape.SteadyP50Ms)} | {X(shape.ColdFirstToSteady)} | {X(shape.WarmFirstToSteady)} |");
            }

            Console.WriteLine($"time to ready: without warmup {Ms(s.Cold.TotalMs)} (session creation); with warmup {Ms(s.Warm.TotalMs)} = session {s.Warm.SessionMs.Median:F1} ms + " +
                $"replay {Ms(s.Warm.ReplayMs)}; steady runs the replay absorbs {Ms(s.AbsorbedSteadyMs)}");
            Console.WriteLine();
            results.Add((c, report, load));
        }

        Console.WriteLine("## Targets (issue #15), fresh processes, medians over processes");
        Console.WriteLine("1. cold first / steady ≥ 1.4× (ResNet18 and conv at 640×640; reported for every model)");
        foreach (var (c, r, _) in results)
        {
            Console.WriteLine($"   - {c.Name}: {string.Join("; ", r.Shapes.Select(s => $"{s.Shape} {s.ColdFirstToSteady.Median:F2}× {(s.ColdFirstToSteady.Median >= 1.4 ? "(≥ 1.4)" : "(< 1.4)")}"))}");
        }

        Console.WriteLine("2. warm first / steady ≤ 1.15× for every warmed shape");
        foreach (var (c, r, _) in results)
        {
            Console.WriteLine($"   - {c.Name}: max {r.Summary.MaxWarmFirstRatio:F2}× {Verdict(r.Summary.MaxWarmFirstRatio <= 1.15)}, median {r.Summary.MedianWarmFirstRatio:F2}×; " +
                $"per shape {string.Join(", ", r.Shapes.Select(s => $"{s.WarmFirstToSteady.Median:F2}×"))}");
        }

        Console.WriteLine("3. time to ready with warmup ≤ time to ready without + 1.3 × the steady runs the replay absorbs");
        foreach (var (c, r, _) in results)
        {
            var s = r.Summary;
            var bound = s.Cold.TotalMs.Median + 1.3 * s.AbsorbedSteadyMs.Median;
            Console.WriteLine($"   - {c.Name}: {s.Warm.TotalMs.Median:F1} ms vs {s.Cold.TotalMs.Median:F1} + 1.3 × {s.AbsorbedSteadyMs.Median:F1} = {bound:F1} ms {Verdict(s.Warm.TotalMs.Median <= bound)}; " +
                $"replay / absorbed steady runs {s.Warm.ReplayMs.Median / s.AbsorbedSteadyMs.Median:F2}×");
        }

        Console.WriteLine();
    }

    private static string Ms(Spread s) => string.Create(CultureInfo.InvariantCulture, $"{s.Median:F2} ms [{s.Min:F2}–{s.Max:F2}]");

    private static string X(Spread s) => string.Create(CultureInfo.InvariantCulture, $"{s.Median:F2}× [{s.Min:F2}–{s.Max:F2}]");

    private static string Verdict(bool met) => met ? "(met)" : "(NOT met)";
}
