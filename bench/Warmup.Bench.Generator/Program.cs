using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Warmup.Generator;

// Generator cost for 1, 100 and 1000 samples across 10 models, and the cost of an unrelated edit, measured in this
// process against (a) compiling the same program without the generator (its output added as plain source) and
// (b) a floor generator that only runs ForAttributeWithMetadataName over the same attributes with a trivial transform.
// Run: WARMUP_ARTIFACTS=/tmp/artifacts-generator dotnet run -c Release --project bench/Warmup.Bench.Generator [-- --quick] [--only-1000] [--edits-only]
int repeats = args.Contains("--quick") ? 3 : 7;
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

Console.WriteLine($"Warmup generator benchmark: {Bench.Models} models, {Bench.FillerClasses} unrelated classes; median of {repeats} runs; process CPU ms (wall ms in parentheses)");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {Bench.LoadAverage()}");
Console.WriteLine();
Console.WriteLine("| samples | compile without generator | compile with generator | with / without | generator full run | generator / compile without | unrelated edit: Warmup | unrelated edit: FAWMN floor | Warmup / floor |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

foreach (int samples in sampleCounts)
{
    (string[] sources, AdditionalText[] files) = Bench.Inputs(samples);

    GeneratorDriver probe = Bench.Driver(new WarmupGenerator(), files, parseOptions)
        .RunGeneratorsAndUpdateCompilation(Bench.Compile(sources, references, options, parseOptions), out Compilation generated, out var generatorDiagnostics);
    if (!generatorDiagnostics.IsEmpty || generated.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error))
    {
        throw new InvalidOperationException("The benchmark program does not compile: " + string.Join("\n", generatorDiagnostics.Concat(generated.GetDiagnostics()).Take(5)));
    }

    if (editsOnly)
    {
        Console.WriteLine($"{samples} samples: unrelated edit Warmup {Bench.UnrelatedEdit(new WarmupGenerator(), sources, files, references, options, parseOptions, repeats * 3)}, floor {Bench.UnrelatedEdit(new FloorGenerator(), sources, files, references, options, parseOptions, repeats * 3)}");
        continue;
    }

    // Baseline: the same program with the generated code as ordinary source, compiled to the end (binding + emit).
    string[] generatedSources = probe.GetRunResult().GeneratedTrees.Select(t => t.ToString()).ToArray();
    Bench.Time without = Bench.Median(repeats, () => Bench.Emit(Bench.Compile([.. sources, .. generatedSources], references, options, parseOptions)));
    Bench.Time generatorOnly = Bench.Median(repeats, () => Bench.Driver(new WarmupGenerator(), files, parseOptions).RunGenerators(Bench.Compile(sources, references, options, parseOptions)));
    Bench.Time with = Bench.Median(repeats, () =>
    {
        Bench.Driver(new WarmupGenerator(), files, parseOptions).RunGeneratorsAndUpdateCompilation(Bench.Compile(sources, references, options, parseOptions), out Compilation output, out _);
        Bench.Emit(output);
    });

    Bench.Time edit = Bench.UnrelatedEdit(new WarmupGenerator(), sources, files, references, options, parseOptions, repeats * 3);
    Bench.Time floor = Bench.UnrelatedEdit(new FloorGenerator(), sources, files, references, options, parseOptions, repeats * 3);

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {samples} | {without} | {with} | {with.Cpu / without.Cpu:F2} | {generatorOnly} | {generatorOnly.Cpu / without.Cpu:F2} | {edit} | {floor} | {edit.Cpu / floor.Cpu:F1} |"));
}

Console.WriteLine();
Console.WriteLine("Targets: 1000 samples add <= 100 ms to a full run; an unrelated edit costs <= 5 ms.");
Console.WriteLine("'generator full run' is an upper bound of what the generator adds: it includes symbol and attribute binding that the compile repeats anyway.");

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
            int count = samples / Models + (m < samples % Models ? 1 : 0);
            var source = new StringBuilder();
            source.Append("using Warmup;\nnamespace Bench.Models;\n[WarmupModel(\"model_").Append(m).Append("\")]\npublic static partial class Model").Append(m).Append("\n{\n");
            for (int s = 0; s < count; s++)
            {
                source.Append("    [WarmupSample(BatchSizes = new[] { 1, 4 })]\n    public static ServingDefaultInputs Sample").Append(s)
                    .Append(" => new() { Image = new float[,] { { ").Append(s).Append("f, 1f, 2f, 3f } }, Ids = new long[,] { { 1, 2 } } };\n");
            }

            source.Append("}\n");
            sources.Add(source.ToString());
            files.Add(new Text($"/bench/obj/warmup/model_{m}.warmup-signature",
                $"warmup-signature 1\nmodel model_{m}\nformat onnx\nsignature serving_default predict\ninput image DT_FLOAT [batch,4] image\ninput ids DT_INT64 [batch,2] ids\noutput y DT_FLOAT [batch,1] y\n"));
        }

        for (int f = 0; f < FillerClasses; f++)
        {
            sources.Add(Filler(-f - 1));
        }

        return (sources.ToArray(), files.ToArray());
    }

    public static string Filler(int seed) =>
        $"namespace Bench.App;\npublic class Filler{Math.Abs(seed)} {{ public int Value(int x) => x * {seed} + {seed}; public string Name => \"f{seed}\"; }}\n";

    public static CSharpCompilation Compile(IEnumerable<string> sources, IEnumerable<MetadataReference> references, CSharpCompilationOptions options, CSharpParseOptions parseOptions)
        => CSharpCompilation.Create("Bench", sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, parseOptions, $"/bench/File{i}.cs")), references, options);

    public static GeneratorDriver Driver(IIncrementalGenerator generator, AdditionalText[] files, CSharpParseOptions parseOptions)
        => CSharpGeneratorDriver.Create([generator.AsSourceGenerator()], files, parseOptions);

    /// <summary>A warm driver, then repeated edits of an unrelated file: each run sees a new compilation, as in an IDE.</summary>
    public static Time UnrelatedEdit(IIncrementalGenerator generator, string[] sources, AdditionalText[] files, IEnumerable<MetadataReference> references, CSharpCompilationOptions options, CSharpParseOptions parseOptions, int repeats)
    {
        CSharpCompilation compilation = Compile(sources, references, options, parseOptions);
        GeneratorDriver driver = Driver(generator, files, parseOptions).RunGenerators(compilation);
        SyntaxTree unrelated = compilation.SyntaxTrees.Last();
        int edit = 0;
        return Median(repeats, () =>
        {
            edit++;
            CSharpCompilation edited = compilation.ReplaceSyntaxTree(unrelated, CSharpSyntaxTree.ParseText(Filler(edit), parseOptions, unrelated.FilePath));
            driver = driver.RunGenerators(edited);
        });
    }

    public static void Emit(Compilation compilation)
    {
        var result = compilation.Emit(Stream.Null);
        if (!result.Success)
        {
            throw new InvalidOperationException(string.Join("\n", result.Diagnostics.Take(5)));
        }
    }

    /// <summary>Median process CPU time (robust when other work shares the machine) and median wall time.</summary>
    public static Time Median(int repeats, Action action)
    {
        action(); // warm-up: JIT and Roslyn caches
        var cpu = new double[repeats];
        var wall = new double[repeats];
        using var process = Process.GetCurrentProcess();
        for (int i = 0; i < repeats; i++)
        {
            process.Refresh();
            TimeSpan cpuStart = process.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            action();
            wall[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            process.Refresh();
            cpu[i] = (process.TotalProcessorTime - cpuStart).TotalMilliseconds;
        }

        Array.Sort(cpu);
        Array.Sort(wall);
        return new Time(cpu[repeats / 2], wall[repeats / 2]);
    }

    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
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
/// The least any attribute-driven generator pays per edit: the same attributes, found with ForAttributeWithMetadataName,
/// with a transform that only reads the symbol's name. Roslyn re-runs such transforms whenever the compilation changes.
/// </summary>
internal sealed class FloorGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        context.RegisterPostInitializationOutput(static post => post.AddSource("Floor.g.cs",
            "namespace Warmup { [System.AttributeUsage(System.AttributeTargets.Class)] internal sealed class WarmupModelAttribute(string name) : System.Attribute { public string Name { get; } = name; }\n" +
            "[System.AttributeUsage(System.AttributeTargets.Property | System.AttributeTargets.Field | System.AttributeTargets.Method)] internal sealed class WarmupSampleAttribute : System.Attribute { public int[]? BatchSizes { get; set; } public int Iterations { get; set; } public string? Name { get; set; } } }"));
        var models = context.SyntaxProvider.ForAttributeWithMetadataName("Warmup.WarmupModelAttribute", static (_, _) => true, static (c, _) => c.TargetSymbol.Name);
        var samples = context.SyntaxProvider.ForAttributeWithMetadataName("Warmup.WarmupSampleAttribute", static (_, _) => true, static (c, _) => c.TargetSymbol.Name);
        context.RegisterSourceOutput(models.Collect().Combine(samples.Collect()), static (_, _) => { });
    }
}
