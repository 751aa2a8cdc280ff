using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>
/// Every WARMUP diagnostic: fires at the marked location on wrong code, stays silent on the corrected code, and is
/// silenced by <c>#pragma warning disable</c>. Runs on Microsoft.CodeAnalysis.Testing, offline: reference assemblies come
/// from Basic.Reference.Assemblies.Net100 rather than a package download.
/// </summary>
public class DiagnosticTests
{
    private const string SignaturePath = "/0/obj/warmup/half_plus_two.warmup-signature";
    private const string Usings = "using System.Collections.Generic;\nusing Warmup;\n\n";

    /// <summary>One diagnostic: wrong code with the location marked {|#0:…|}, and its fix.</summary>
    public sealed record Case(string Id, string Wrong, string Right, string[]? Arguments = null, (string Path, string Text)[]? Files = null);

    private static readonly (string, string)[] HalfPlusTwo = [(SignaturePath, Scenarios.HalfPlusTwoSignature)];

    private static readonly (string, string)[] FixedBatch =
    [
        ("/0/obj/warmup/fixed.warmup-signature", "warmup-signature 1\nmodel fixed\nformat onnx\nsignature serving_default predict\ninput x DT_FLOAT [1,3] x\n"),
    ];

    public static readonly Case[] Cases =
    [
        new("WARMUP0001",
            """[WarmupModel("half_plus_two")] public class {|#0:Model|} { }""",
            """[WarmupModel("half_plus_two")] public partial class Model { }""",
            ["Model"], HalfPlusTwo),
        new("WARMUP0002",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public ServingDefaultInputs {|#0:Sample|} => new() { X = new float[,] { { 1f } } }; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1f } } }; }""",
            ["Sample"], HalfPlusTwo),
        new("WARMUP0003",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static float[] {|#0:Sample|} => new float[] { 1f }; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static IEnumerable<ServingDefaultInputs> Sample => new[] { new ServingDefaultInputs { X = new float[,] { { 1f } } } }; }""",
            ["Sample", "float[]", "half_plus_two", "'ClassifyXToYInputs', 'RegressX2ToY3Inputs', 'RegressXToYInputs', 'RegressXToY2Inputs', 'ServingDefaultInputs', 'MultiInferenceInputs'"], HalfPlusTwo),
        new("WARMUP0004",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1f } }, {|#0:Xs|} = null }; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1f } } }; }""",
            ["ServingDefaultInputs", "Xs", "signature 'serving_default' of model 'half_plus_two'", "; did you mean 'X'?"], HalfPlusTwo),
        new("WARMUP0005",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new {|#0:ServingDefaultInputs|} { }; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new ServingDefaultInputs { X = new float[,] { { 1f } } }; }""",
            ["ServingDefaultInputs", "X", "DT_FLOAT [-1,1]", "serving_default"], HalfPlusTwo),
        new("WARMUP0006",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new() { X = {|#0:new double[,] { { 1 } }|} }; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1 } } }; }""",
            ["x", "DT_FLOAT", "float", "double"], HalfPlusTwo),
        new("WARMUP0007",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new() { X = {|#0:new float[] { 1f }|} }; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1f } } }; }""",
            ["x", "2", "[-1,1]", "1"], HalfPlusTwo),
        new("WARMUP0008",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new() { X = {|#0:new float[,] { { 1f, 2f } }|} }; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1f }, { 2f } } }; }""",
            ["x", "[-1,1]", "1", "1", "2"], HalfPlusTwo),
        new("WARMUP0009",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample({|#0:BatchSizes = new[] { 0 }|})] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1f } } }; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample(BatchSizes = new[] { 1 })] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1f } } }; }""",
            ["Model.Sample", "0"], HalfPlusTwo),
        new("WARMUP0010",
            """[WarmupModel("fixed")] public partial class Model { [WarmupSample({|#0:BatchSizes = new[] { 4 }|})] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1f, 2f, 3f } } }; }""",
            """[WarmupModel("fixed")] public partial class Model { [WarmupSample(BatchSizes = new[] { 1 })] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1f, 2f, 3f } } }; }""",
            ["Model.Sample", "4", "x", "serving_default", "has a fixed first dimension of 1", "BatchSizes = new[] { 1 }"], FixedBatch),
        new("WARMUP0011",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample(BatchSizes = new[] { 1, 2 })] public static ServingDefaultInputs Small => new() { X = new float[,] { { 1f } } }; [WarmupSample(BatchSizes = new[] { 1, 2 }, Iterations = 300)] public static ServingDefaultInputs[] {|#0:Sample|} => new ServingDefaultInputs[] { new() { X = new float[,] { { 1f } } }, new() { X = new float[,] { { 2f } } } }; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample(BatchSizes = new[] { 1, 2 })] public static ServingDefaultInputs Small => new() { X = new float[,] { { 1f } } }; [WarmupSample(BatchSizes = new[] { 1, 2 }, Iterations = 249)] public static ServingDefaultInputs[] Sample => new ServingDefaultInputs[] { new() { X = new float[,] { { 1f } } }, new() { X = new float[,] { { 2f } } } }; }""",
            ["half_plus_two", "1202", "Model.Small: 2, Model.Sample: 1200"], HalfPlusTwo),
        new("WARMUP0012",
            """[WarmupModel("half_plus_two")] public partial class A { } [WarmupModel("half_plus_two")] public partial class {|#0:B|} { }""",
            """[WarmupModel("half_plus_two")] public partial class A { } [WarmupModel("other")] [WarmupInput("x", WarmupDType.Float, -1)] public partial class B { }""",
            ["half_plus_two", "A"], HalfPlusTwo),
        new("WARMUP0013",
            """[WarmupModel("no_such_model")] public partial class {|#0:Model|} { }""",
            """[WarmupModel("no_such_model")] [WarmupInput("x", WarmupDType.Float, -1, 1)] public partial class Model { }""",
            ["no_such_model"], HalfPlusTwo),
        new("WARMUP0017",
            """public static class Other { [WarmupSample] public static int {|#0:Sample|} => 1; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1f } } }; }""",
            ["Sample", "Other"], HalfPlusTwo),
        new("WARMUP0018",
            """[WarmupModel("declared")] [{|#0:WarmupInput("x", WarmupDType.Float, -2)|}] public partial class Model { }""",
            """[WarmupModel("declared")] [WarmupInput("x", WarmupDType.Float, -1)] public partial class Model { }""",
            ["Input 'x' has a dimension below -1; use a size or -1 for any size"]),
        new("WARMUP0019",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample(Iterations = 0)] public static ServingDefaultInputs {|#0:Sample|} => new() { X = new float[,] { { 1f } } }; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample(Iterations = 3)] public static ServingDefaultInputs Sample => new() { X = new float[,] { { 1f } } }; }""",
            ["Model.Sample", "0"], HalfPlusTwo),
        new("WARMUP0020",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample(Name = "a")] public static ServingDefaultInputs One => new() { X = new float[,] { { 1f } } }; [WarmupSample(Name = "a")] public static ServingDefaultInputs {|#0:Two|} => new() { X = new float[,] { { 2f } } }; }""",
            """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample(Name = "a")] public static ServingDefaultInputs One => new() { X = new float[,] { { 1f } } }; [WarmupSample(Name = "b")] public static ServingDefaultInputs Two => new() { X = new float[,] { { 2f } } }; }""",
            ["half_plus_two", "a"], HalfPlusTwo),
        new("WARMUP0016",
            """[WarmupModel("declared")] [{|#0:WarmupInput("z", (WarmupDType)8, -1)|}] public partial class Model { }""",
            """[WarmupModel("declared")] [WarmupInput("z", WarmupDType.Double, -1)] public partial class Model { }""",
            ["z", "serving_default", "declared", "DT_COMPLEX64"]),
    ];

    public static TheoryData<string> Ids => new(Cases.Select(c => c.Id));

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task Fires_on_wrong_code(string id)
    {
        Case @case = Cases.Single(c => c.Id == id);
        var test = new WarmupGeneratorTest(Usings + @case.Wrong, @case.Files);
        DiagnosticResult expected = new DiagnosticResult(id, Severity(id)).WithLocation(0);
        if (@case.Arguments is not null)
        {
            expected = expected.WithArguments(@case.Arguments);
        }

        test.ExpectedDiagnostics.Add(expected);
        await test.RunAsync();
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task Silent_on_right_code(string id)
    {
        Case @case = Cases.Single(c => c.Id == id);
        var test = new WarmupGeneratorTest(Usings + @case.Right, @case.Files) { CompilerDiagnostics = CompilerDiagnostics.Errors };
        await test.RunAsync();
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task Respects_pragma_warning_disable(string id)
    {
        Case @case = Cases.Single(c => c.Id == id);
        var test = new WarmupGeneratorTest("#pragma warning disable " + id + "\n" + Usings + @case.Wrong, @case.Files);
        await test.RunAsync();
    }

    [Fact]
    public async Task Unknown_feature_and_missing_examples_are_reported_for_tf_example_inputs()
    {
        var test = new WarmupGeneratorTest(
            Usings + """
                [WarmupModel("half_plus_two")]
                [WarmupFeature("x", WarmupFeatureType.Float)]
                public partial class Model
                {
                    [WarmupSample] public static RegressXToYInputs A => new() { Examples = [new() { {|#0:Xx|} = [1f] }] };
                    [WarmupSample] public static RegressXToYInputs B => new {|#1:RegressXToYInputs|} { Context = new() { X = [1f] } };
                }
                """,
            HalfPlusTwo);
        test.ExpectedDiagnostics.Add(new DiagnosticResult("WARMUP0004", DiagnosticSeverity.Error).WithLocation(0)
            .WithArguments("WarmupExample", "Xx", "declared tf.Example features", "; did you mean 'X'?"));
        test.ExpectedDiagnostics.Add(new DiagnosticResult("WARMUP0005", DiagnosticSeverity.Error).WithLocation(1)
            .WithArguments("RegressXToYInputs", "Examples", "the tf.Examples to send", "regress_x_to_y"));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_misspelled_input_is_one_WARMUP0004_beside_the_compilers_CS0117_and_not_also_missing()
    {
        var test = new WarmupGeneratorTest(
            Usings + """[WarmupModel("half_plus_two")] public partial class Model { [WarmupSample] public static ServingDefaultInputs Sample => new() { {|#0:Xs|} = new float[,] { { 1f } } }; }""",
            HalfPlusTwo) { CompilerDiagnostics = CompilerDiagnostics.Errors };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerError("CS0117").WithLocation(0).WithArguments("Model.ServingDefaultInputs", "Xs"));
        test.ExpectedDiagnostics.Add(new DiagnosticResult("WARMUP0004", DiagnosticSeverity.Error).WithLocation(0)
            .WithArguments("ServingDefaultInputs", "Xs", "signature 'serving_default' of model 'half_plus_two'", "; did you mean 'X'?"));
        await test.RunAsync();
    }

    [Fact]
    public async Task An_undeclared_feature_hints_at_WarmupFeature()
    {
        var test = new WarmupGeneratorTest(
            Usings + """
                [WarmupModel("half_plus_two")]
                public partial class Model
                {
                    [WarmupSample] public static RegressXToYInputs A => new() { Examples = [new() { {|#0:X|} = [1f] }] };
                }
                """,
            HalfPlusTwo);
        test.ExpectedDiagnostics.Add(new DiagnosticResult("WARMUP0004", DiagnosticSeverity.Error).WithLocation(0)
            .WithArguments("WarmupExample", "X", "declared tf.Example features",
                "; declare a feature on the model class with [WarmupFeature(\"x\", WarmupFeatureType.Float)] (or Int64, Bytes, String) to give WarmupExample a 'X' property"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Generic_model_class_is_rejected()
    {
        var test = new WarmupGeneratorTest(Usings + """[WarmupModel("half_plus_two")] public partial class {|#0:Model|}<T> { }""", HalfPlusTwo);
        test.ExpectedDiagnostics.Add(new DiagnosticResult("WARMUP0018", DiagnosticSeverity.Error).WithLocation(0)
            .WithArguments("A [WarmupModel] class and the types containing it cannot be generic: samples are read from one closed type"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Invalid_signature_file_points_at_the_file_and_line()
    {
        var test = new WarmupGeneratorTest(
            Usings + """[WarmupModel("broken")] public partial class Model { }""",
            [("/0/obj/warmup/broken.warmup-signature", "warmup-signature 1\nmodel broken\nformat onnx\nsignature serving_default predict\ninput x DT_FLOAT [1,x y\n")]);
        test.ExpectedDiagnostics.Add(new DiagnosticResult("WARMUP0015", DiagnosticSeverity.Error)
            .WithSpan("/0/obj/warmup/broken.warmup-signature", 5, 1, 5, 1)
            .WithArguments("/0/obj/warmup/broken.warmup-signature", "5", "Invalid shape '[1,x': expected '*' or '[d0,d1,…]'."));
        await test.RunAsync();
    }

    [Fact]
    public async Task Unsupported_dtype_in_signature_file_points_at_its_line()
    {
        var test = new WarmupGeneratorTest(
            Usings + """[WarmupModel("complex")] public partial class Model { }""",
            [("/0/obj/warmup/complex.warmup-signature", "warmup-signature 1\nmodel complex\nformat onnx\nsignature serving_default predict\ninput z DT_COMPLEX64 [-1] z\n")]);
        test.ExpectedDiagnostics.Add(new DiagnosticResult("WARMUP0016", DiagnosticSeverity.Warning)
            .WithSpan("/0/obj/warmup/complex.warmup-signature", 5, 1, 5, 1)
            .WithArguments("z", "serving_default", "complex", "DT_COMPLEX64"));
        await test.RunAsync();
    }

    [Fact]
    public void Unreadable_signature_file_is_reported_at_the_file()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(
            Usings + """[WarmupModel("gone")] public partial class Model { }""",
            new UnreadableText("/src/obj/warmup/gone.warmup-signature"));
        Diagnostic diagnostic = Assert.Single(result.Reported);
        Assert.Equal("WARMUP0014", diagnostic.Id);
        Assert.Equal("/src/obj/warmup/gone.warmup-signature", diagnostic.Location.GetLineSpan().Path);
        Assert.Contains("could not be read", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_diagnostic_has_a_documented_section_and_a_release_entry()
    {
        string root = Path.GetFullPath(Path.Combine(GeneratorHarness.SourceDirectory, "..", ".."));
        string docs = File.ReadAllText(Path.Combine(root, "docs", "diagnostics.md"));
        string releases = File.ReadAllText(Path.Combine(root, "src", "Generator", "AnalyzerReleases.Unshipped.md"));
        string[] ids = releases.Split('\n').Where(l => l.StartsWith("WARMUP", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToArray();
        Assert.Equal(22, ids.Length);
        foreach (string id in ids)
        {
            Assert.Contains("### " + id, docs, StringComparison.Ordinal);
        }

        // The build tasks own the section after ours.
        Assert.True(docs.IndexOf("## Generator diagnostics (WARMUP0xxx)", StringComparison.Ordinal) < docs.IndexOf("## Build diagnostics (WARMUPB0xx)", StringComparison.Ordinal));
    }

    private static DiagnosticSeverity Severity(string id) => id == "WARMUP0016" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error;


    private sealed class UnreadableText(string path) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText? GetText(CancellationToken cancellationToken = default) => null;
    }

    /// <summary>The generator under Microsoft.CodeAnalysis.Testing, offline, with Warmup.Format referenced.</summary>
    private sealed class WarmupGeneratorTest : CSharpSourceGeneratorTest<WarmupGenerator, DefaultVerifier>
    {
        public WarmupGeneratorTest(string source, (string Path, string Text)[]? files)
        {
            // No package: nothing is downloaded. The .NET 10 references come from Basic.Reference.Assemblies.Net100.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0");
            TestState.AdditionalReferences.AddRange(GeneratorHarness.References);
            TestState.Sources.Add(source);
            foreach ((string path, string text) in files ?? [])
            {
                TestState.AdditionalFiles.Add((path, SourceText.From(text)));
            }

            TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck;
            CompilerDiagnostics = CompilerDiagnostics.None;
            // The Info diagnostic every bound model gets; GeneratedNamesTests asserts it.
            DisabledDiagnostics.Add(GeneratorHarness.GeneratedNamesId);
        }

        protected override ParseOptions CreateParseOptions() => new CSharpParseOptions(LanguageVersion.Latest);

        protected override CompilationOptions CreateCompilationOptions()
            => ((CSharpCompilationOptions)base.CreateCompilationOptions())
                .WithNullableContextOptions(NullableContextOptions.Enable)
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress });
    }
}
