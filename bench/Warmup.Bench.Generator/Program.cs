using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Warmup.Generator;

// What the generator costs, for 1, 100 and 1000 samples across 10 models (plus 200 unrelated classes), measured in this
// process:
// - full compile: (fresh generator run + emit of the updated compilation) against (emit of the same program with the
//   generated code added as plain source), measured as pairs in alternating order; "generator adds" is the median of the
//   per-pair differences, so drift (JIT tiering, other work on the machine) falls on both sides of each pair;
// - an unrelated edit on a warm driver (each run sees a new compilation, as in an IDE), for Warmup and for a floor
//   generator that only runs ForAttributeWithMetadataName over the same two attributes with a trivial transform, in
//   alternating order, and for one over [WarmupModel] only (the shape Warmup's pipeline has); and an edit inside one
//   model's file (a sample's value) for Warmup.
// Each measurement follows a full GC; process CPU time (getrusage) and wall time; medians. Tiered compilation is off
// (see the project file), so Roslyn runs fully optimised code from the first call and no JIT works in the background.
// Run: WARMUP_ARTIFACTS=/tmp/artifacts-generator dotnet run -c Release --project bench/Warmup.Bench.Generator [-- --quick] [--only-1000] [--edits-only]
int pairs = args.Contains("--quick") ? 5 : 15;
int edits = args.Contains("--quick") ? 21 : 61;
int[] sampleCounts = args.Contains("--only-1000") ? [1000] : [1, 100, 1000];
bool editsOnly = args.Contains("--edits-only");
var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
MetadataReference[] references =
[
    .. Basic.Reference.Assemblies.Net100.References.All,
    MetadataReference.CreateFromFile(typeof(Warmup.Format.Tensors.TensorProtoConverter).Assembly.Location),
    MetadataReference.CreateFromFile(typeof(Google.Protobuf.ByteString).Assembly.Location),
];
var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
    .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress });

Console.WriteLine($"Warmup generator benchmark: {Bench.Models} models, {Bench.FillerClasses} unrelated classes; full compile: median of {pairs} pairs; edits: median of {edits} runs");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {Bench.LoadAverage()}; process CPU ms (all threads), wall ms in parentheses");
Console.WriteLine();
Console.WriteLine("| samples | compile without generator | compile with generator | generator adds | generator run alone | unrelated edit: Warmup | unrelated edit: FAWMN floor | unrelated edit: FAWMN floor, models only | edit in a model file: Warmup | load after |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

foreach (int samples in sampleCounts)
{
    (string[] sources, AdditionalText[] files) = Bench.Inputs(samples);
    CSharpCompilation Program() => Bench.Compile(sources, references, options, parseOptions);

    GeneratorDriver probe = Bench.Driver(new WarmupGenerator(), files, parseOptions)
        .RunGeneratorsAndUpdateCompilation(Program(), out Compilation generated, out var generatorDiagnostics);
    // WARMUP0021 (Info) names each model's generated types; anything of warning severity or more is a broken program.
    Diagnostic[] problems = generatorDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning)
        .Concat(generated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error))
        .ToArray();
    if (problems.Length > 0)
    {
        throw new InvalidOperationException("The benchmark program does not compile: " + string.Join("\n", problems.Take(5)));
    }

    string without = "-", with = "-", adds = "-", alone = "-";
    if (!editsOnly)
    {
        // Baseline: the same program with the generated code as ordinary source, compiled to the end (binding + emit).
        string[] generatedSources = probe.GetRunResult().GeneratedTrees.Select(t => t.ToString()).ToArray();
        (Bench.Time a, Bench.Time b, Bench.Time delta) = Bench.Pairs(
            pairs,
            () => Bench.Emit(Bench.Compile([.. sources, .. generatedSources], references, options, parseOptions)),
            () =>
            {
                Bench.Driver(new WarmupGenerator(), files, parseOptions).RunGeneratorsAndUpdateCompilation(Program(), out Compilation output, out _);
                Bench.Emit(output);
            });
        (without, with, adds) = (a.ToString(), b.ToString(), delta.ToString());
        alone = Bench.Median(pairs, () =>
        {
            CSharpCompilation parsed = Program();
            return () => Bench.Driver(new WarmupGenerator(), files, parseOptions).RunGenerators(parsed);
        }).ToString();
    }

    var warmup = new Bench.EditLoop(new WarmupGenerator(), Program(), files, parseOptions);
    var floor = new Bench.EditLoop(new FloorGenerator(), Program(), files, parseOptions);
    var modelsFloor = new Bench.EditLoop(new FloorGenerator(modelsOnly: true), Program(), files, parseOptions);
    (Bench.Time edit, Bench.Time floorEdit, _) = Bench.Pairs(edits, warmup.UnrelatedEdit, floor.UnrelatedEdit);
    (Bench.Time modelsFloorEdit, _, _) = Bench.Pairs(edits, modelsFloor.UnrelatedEdit, warmup.UnrelatedEdit);
    Bench.Time modelEdit = Bench.Median(edits, warmup.ModelFileEdit);

    Console.WriteLine($"| {samples} | {without} | {with} | {adds} | {alone} | {edit} | {floorEdit} | {modelsFloorEdit} | {modelEdit} | {Bench.LoadAverage()} |");
}

Console.WriteLine();
Console.WriteLine("Targets: 1000 samples add <= 100 ms to a full compile; an unrelated edit costs <= 5 ms.");
Console.WriteLine("'generator adds' = median over pairs of (fresh generator run + emit) - (emit with the generated code as plain source); the two sides parse the same text.");
Console.WriteLine("'generator run alone' = a fresh driver run on a fresh, parsed compilation (includes declaration and attribute binding, and parsing the generated code, which the compile with the generator then partly reuses).");

internal static class Bench
{
    public const int Models = 10;
    public const int FillerClasses = 200;

    public readonly record struct Time(double Cpu, double Wall)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Cpu:F1} ({Wall:F1})");
    }

    public static (string[] Sources, AdditionalText[] Files) Inputs(int samples)
    {
        var sources = new List<string>();
        var files = new List<AdditionalText>();
        for (int m = 0; m < Models; m++)
        {
            sources.Add(ModelSource(m, samples / Models + (m < samples % Models ? 1 : 0), 0));
            files.Add(new Text($"/bench/obj/warmup/model_{m}.warmup-signature",
                $"warmup-signature 1\nmodel model_{m}\nformat onnx\nsignature serving_default predict\ninput image DT_FLOAT [batch,4] image\ninput ids DT_INT64 [batch,2] ids\noutput y DT_FLOAT [batch,1] y\n"));
        }

        for (int f = 0; f < FillerClasses; f++)
        {
            sources.Add(Filler(-f - 1));
        }

        return (sources.ToArray(), files.ToArray());
    }

    /// <summary>One model class with <paramref name="count"/> samples; <paramref name="value"/> changes only a sample's value.</summary>
    public static string ModelSource(int model, int count, int value)
    {
        var source = new StringBuilder();
        source.Append("using Warmup;\nnamespace Bench.Models;\n[WarmupModel(\"model_").Append(model).Append("\")]\npublic static partial class Model").Append(model).Append("\n{\n");
        for (int s = 0; s < count; s++)
        {
            source.Append("    [WarmupSample(BatchSizes = new[] { 1, 4 })]\n    public static ServingDefaultInputs Sample").Append(s)
                .Append(" => new() { Image = new float[,] { { ").Append(s == 0 ? value : s).Append("f, 1f, 2f, 3f } }, Ids = new long[,] { { 1, 2 } } };\n");
        }

        return source.Append("}\n").ToString();
    }

    public static string Filler(int seed) =>
        $"namespace Bench.App;\npublic class Filler{Math.Abs(seed)} {{ public int Value(int x) => x * {seed} + {seed}; public string Name => \"f{seed}\"; }}\n";

    public static CSharpCompilation Compile(IEnumerable<string> sources, IEnumerable<MetadataReference> references, CSharpCompilationOptions options, CSharpParseOptions parseOptions)
        => CSharpCompilation.Create("Bench", sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, parseOptions, $"/bench/File{i}.cs")), references, options);

    public static GeneratorDriver Driver(IIncrementalGenerator generator, AdditionalText[] files, CSharpParseOptions parseOptions)
        => CSharpGeneratorDriver.Create([generator.AsSourceGenerator()], files, parseOptions);

    /// <summary>A warm driver that is handed edited compilations, as in an IDE.</summary>
    public sealed class EditLoop
    {
        private readonly CSharpCompilation _compilation;
        private readonly CSharpParseOptions _parseOptions;
        private readonly SyntaxTree _unrelated;
        private readonly SyntaxTree _model;
        private readonly int _modelSamples;
        private GeneratorDriver _driver;
        private int _edit;

        public EditLoop(IIncrementalGenerator generator, CSharpCompilation compilation, AdditionalText[] files, CSharpParseOptions parseOptions)
        {
            _compilation = compilation;
            _parseOptions = parseOptions;
            _unrelated = compilation.SyntaxTrees.Last();
            _model = compilation.SyntaxTrees.First();
            _modelSamples = _model.ToString().Split("[WarmupSample").Length - 1;
            _driver = Driver(generator, files, parseOptions).RunGenerators(compilation);
        }

        /// <summary>Rewrites one unrelated class (a new tree each time); parsing is not measured, the generator run is.</summary>
        public Action UnrelatedEdit()
        {
            _edit++;
            CSharpCompilation edited = _compilation.ReplaceSyntaxTree(_unrelated, CSharpSyntaxTree.ParseText(Filler(_edit), _parseOptions, _unrelated.FilePath));
            return () => _driver = _driver.RunGenerators(edited);
        }

        /// <summary>Changes one sample's value in model 0's file (the generated code stays the same).</summary>
        public Action ModelFileEdit()
        {
            _edit++;
            CSharpCompilation edited = _compilation.ReplaceSyntaxTree(_model, CSharpSyntaxTree.ParseText(ModelSource(0, _modelSamples, _edit), _parseOptions, _model.FilePath));
            return () => _driver = _driver.RunGenerators(edited);
        }
    }

    public static void Emit(Compilation compilation)
    {
        var result = compilation.Emit(Stream.Null);
        if (!result.Success)
        {
            throw new InvalidOperationException(string.Join("\n", result.Diagnostics.Take(5)));
        }
    }

    public static (Time A, Time B, Time Delta) Pairs(int count, Action a, Action b) => Pairs(count, () => a, () => b);

    /// <summary>
    /// Runs what <paramref name="a"/> and <paramref name="b"/> prepare (preparing is not measured) in alternating order
    /// after a warm-up; returns the median of each and the median of the per-pair differences b - a.
    /// </summary>
    public static (Time A, Time B, Time Delta) Pairs(int count, Func<Action> a, Func<Action> b)
    {
        for (int i = 0; i < 5; i++)
        {
            a()();
            b()();
        }

        var ta = new List<Time>();
        var tb = new List<Time>();
        var delta = new List<Time>();
        for (int i = 0; i < count; i++)
        {
            Time x, y;
            if (i % 2 == 0)
            {
                x = Measure(a);
                y = Measure(b);
            }
            else
            {
                y = Measure(b);
                x = Measure(a);
            }

            ta.Add(x);
            tb.Add(y);
            delta.Add(new Time(y.Cpu - x.Cpu, y.Wall - x.Wall));
        }

        return (Median(ta), Median(tb), Median(delta));
    }

    public static Time Median(int count, Action action) => Median(count, () => action);

    public static Time Median(int count, Func<Action> prepare)
    {
        for (int i = 0; i < 5; i++)
        {
            prepare()();
        }

        var times = new List<Time>();
        for (int i = 0; i < count; i++)
        {
            times.Add(Measure(prepare));
        }

        return Median(times);
    }

    /// <summary>Process CPU time (getrusage: every thread, microsecond resolution) and wall time of one run, after a full GC.</summary>
    private static Time Measure(Func<Action> prepare)
    {
        Action action = prepare();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        TimeSpan cpuStart = Environment.CpuUsage.TotalTime;
        long start = Stopwatch.GetTimestamp();
        action();
        double wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return new Time((Environment.CpuUsage.TotalTime - cpuStart).TotalMilliseconds, wall);
    }

    private static Time Median(List<Time> times)
    {
        double[] cpu = times.Select(t => t.Cpu).Order().ToArray();
        double[] wall = times.Select(t => t.Wall).Order().ToArray();
        return new Time(MedianOf(cpu), MedianOf(wall));
    }

    private static double MedianOf(double[] sorted)
        => sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    public static string LoadAverage()
    {
        try
        {
            string[] parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(" ", parts.Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private sealed class Text(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text, Encoding.UTF8);
    }
}

/// <summary>
/// The least any generator built on ForAttributeWithMetadataName over both attributes pays per edit: the same attributes,
/// a transform that only reads the symbol's name. Roslyn re-runs such transforms for every match whenever the compilation
/// changes.
/// </summary>
internal sealed class FloorGenerator(bool modelsOnly = false) : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        context.RegisterPostInitializationOutput(static post => post.AddSource("Floor.g.cs",
            "namespace Warmup { [System.AttributeUsage(System.AttributeTargets.Class)] internal sealed class WarmupModelAttribute(string name) : System.Attribute { public string Name { get; } = name; }\n" +
            "[System.AttributeUsage(System.AttributeTargets.Property | System.AttributeTargets.Field | System.AttributeTargets.Method)] internal sealed class WarmupSampleAttribute : System.Attribute { public int[]? BatchSizes { get; set; } public int Iterations { get; set; } public string? Name { get; set; } } }"));
        var models = context.SyntaxProvider.ForAttributeWithMetadataName("Warmup.WarmupModelAttribute", static (_, _) => true, static (c, _) => c.TargetSymbol.Name);
        if (modelsOnly)
        {
            context.RegisterSourceOutput(models.Collect(), static (_, _) => { });
            return;
        }

        var samples = context.SyntaxProvider.ForAttributeWithMetadataName("Warmup.WarmupSampleAttribute", static (_, _) => true, static (c, _) => c.TargetSymbol.Name);
        context.RegisterSourceOutput(models.Collect().Combine(samples.Collect()), static (_, _) => { });
    }
}
