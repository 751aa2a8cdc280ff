using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Warmup.Generator;

namespace Warmup.Generator.Tests;

/// <summary>Runs the real generator over in-memory sources and signature files, against .NET 10 reference assemblies.</summary>
internal static class GeneratorHarness
{
    // Documentation comments are checked (CS1591…), as in a project with GenerateDocumentationFile.
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    /// <summary>.NET 10 reference assemblies plus Warmup.Format and Google.Protobuf (what a model project references).</summary>
    public static readonly ImmutableArray<MetadataReference> References =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(Warmup.Format.Tensors.TensorProtoConverter).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(Google.Protobuf.ByteString).Assembly.Location),
    ];

    public static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create(
        "WarmupSamples",
        sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"/src/Samples{i}.cs", encoding: Encoding.UTF8)),
        References,
        new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable,
            deterministic: true,
            // As the .NET SDK does: Warmup.Format targets net8.0 and unifies with the net10.0 reference assemblies.
            specificDiagnosticOptions: new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));

    public static GeneratorDriver CreateDriver(params AdditionalText[] files) => CSharpGeneratorDriver.Create(
        [new WarmupGenerator().AsSourceGenerator()],
        files,
        ParseOptions,
        new TestOptionsProvider("/src/"),
        new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static Result Run(string source, params AdditionalText[] files) => Run([source], files);

    public static Result Run(string[] sources, params AdditionalText[] files)
    {
        CSharpCompilation compilation = Compile(sources);
        GeneratorDriver driver = CreateDriver(files).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        return new Result(driver, output, generatorDiagnostics);
    }

    /// <summary>WARMUP0021, the Info diagnostic naming what each bound model generates: tests that compare a scenario's
    /// diagnostics leave it out (<see cref="WithoutGeneratedNames"/>); GeneratedNamesTests asserts its text.</summary>
    public const string GeneratedNamesId = "WARMUP0021";

    public static ImmutableArray<Diagnostic> WithoutGeneratedNames(IEnumerable<Diagnostic> diagnostics)
        => diagnostics.Where(d => d.Id != GeneratedNamesId).ToImmutableArray();

    public static AdditionalText Signature(string path, string text) => new InMemoryText(path, text);

    /// <summary>This project's source folder, recorded at build time (CI builds path-map [CallerFilePath]).</summary>
    public static string SourceDirectory { get; } = typeof(GeneratorHarness).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), inherit: false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>()
        .Single(a => a.Key == "WarmupTestsSourceDirectory").Value!;

    internal sealed record Result(GeneratorDriver Driver, Compilation Output, ImmutableArray<Diagnostic> AllGeneratorDiagnostics)
    {
        /// <summary>The generator's diagnostics without WARMUP0021 (see <see cref="GeneratedNamesId"/>).</summary>
        public ImmutableArray<Diagnostic> GeneratorDiagnostics => WithoutGeneratedNames(AllGeneratorDiagnostics);


        public GeneratorRunResult RunResult => Driver.GetRunResult().Results.Single();

        /// <summary>Generator diagnostics as the compiler reports them: the driver marks #pragma-disabled ones IsSuppressed.</summary>
        public ImmutableArray<Diagnostic> Reported => GeneratorDiagnostics.Where(d => !d.IsSuppressed).ToImmutableArray();

        public ImmutableArray<Diagnostic> CompilerErrors => Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();

        public string Generated(string hintNameSuffix) => RunResult.GeneratedSources.Single(s => s.HintName.EndsWith(hintNameSuffix, StringComparison.Ordinal)).SourceText.ToString();
    }

    private sealed class InMemoryText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text, Encoding.UTF8);
    }

    private sealed class TestOptionsProvider(string projectDir) : AnalyzerConfigOptionsProvider
    {
        private readonly Options _global = new(new Dictionary<string, string> { ["build_property.ProjectDir"] = projectDir });
        private static readonly Options EmptyOptions = new(new Dictionary<string, string>());

        public override AnalyzerConfigOptions GlobalOptions => _global;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => EmptyOptions;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => EmptyOptions;

        private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
        }
    }
}

