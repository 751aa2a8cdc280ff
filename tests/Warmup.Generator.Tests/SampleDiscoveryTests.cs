using Microsoft.CodeAnalysis;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>
/// How samples are found: each model reads its [WarmupSample] members from the syntax of all its partial declarations,
/// binding each distinct attribute name once per declaration, and reading literal argument values from syntax.
/// These check that this finds exactly what the compiler binds.
/// </summary>
public class SampleDiscoveryTests
{
    private static readonly AdditionalText HalfPlusTwo = GeneratorHarness.Signature("/src/obj/warmup/half_plus_two.warmup-signature", Scenarios.HalfPlusTwoSignature);

    private const string ModelTemplate = """
        using Warmup; USINGS
        namespace Demo;
        [WarmupModel("half_plus_two")]
        public static partial class Model
        {
            public const int Eight = 8;
            ATTRIBUTE
            public static ServingDefaultInputs One => new() { X = new float[,] { { 1f } } };
        }
        """;

    private static string Model(string attribute, string usings = "") => ModelTemplate.Replace("ATTRIBUTE", attribute, StringComparison.Ordinal).Replace("USINGS", usings, StringComparison.Ordinal);

    public static TheoryData<string, string> SameSample => new()
    {
        { "[WarmupSample(BatchSizes = new int[] { 1, 8 }, Iterations = 3, Name = @\"one\")]", "" },
        { "[WarmupSample(BatchSizes = [1, 8], Iterations = 3, Name = \"\"\"one\"\"\")]", "" },
        { "[WarmupSampleAttribute(Name = \"one\", Iterations = 3, BatchSizes = new[] { 1, 8 })]", "" },
        { "[global::Warmup.WarmupSample(BatchSizes = new[] { 1, 8 }, Iterations = 3, Name = \"one\")]", "" },
        // Constants and expressions: bound with the semantic model.
        { "[WarmupSample(BatchSizes = new[] { 1, Eight }, Iterations = 1 + 2, Name = \"o\" + \"ne\")]", "" },
        { "[WarmupSample(BatchSizes = [1, Eight], Iterations = 3, Name = nameof(one))]", "" },
        // Aliases: in the file, and global in another file.
        { "[WS(BatchSizes = new[] { 1, 8 }, Iterations = 3, Name = \"one\")]", "using WS = Warmup.WarmupSampleAttribute;" },
        { "[GlobalSample(BatchSizes = new[] { 1, 8 }, Iterations = 3, Name = \"one\")]", "" },
        // Next to an attribute of another kind.
        { "[System.Obsolete(\"x\"), WarmupSample(BatchSizes = new[] { 1, 8 }, Iterations = 3, Name = \"one\")]", "" },
    };

    [Theory]
    [MemberData(nameof(SameSample))]
    public void Every_spelling_of_a_sample_generates_the_same_code(string attribute, string usings)
    {
        const string Globals = "global using GlobalSample = Warmup.WarmupSampleAttribute; namespace Demo { internal static class one { } }";
        GeneratorHarness.Result expected = GeneratorHarness.Run([Model("[WarmupSample(BatchSizes = new[] { 1, 8 }, Iterations = 3, Name = \"one\")]"), Globals], HalfPlusTwo);
        GeneratorHarness.Result actual = GeneratorHarness.Run([Model(attribute, usings), Globals], HalfPlusTwo);

        Assert.Empty(expected.GeneratorDiagnostics);
        Assert.Empty(actual.GeneratorDiagnostics);
        Assert.Contains("SampleRecords.Create(One, \"one\", new[] { 1, 8 }, 3)", expected.Generated("Demo.Model.Warmup.g.cs"), StringComparison.Ordinal);
        Assert.Contains("\"half_plus_two\", \"one\", \"Samples0.cs\", 8,", expected.Generated("Warmup.Manifest.g.cs"), StringComparison.Ordinal);
        Assert.Equal(expected.Generated("Demo.Model.Warmup.g.cs"), actual.Generated("Demo.Model.Warmup.g.cs"));
        Assert.Equal(expected.Generated("Warmup.Manifest.g.cs"), actual.Generated("Warmup.Manifest.g.cs"));
        Assert.Empty(actual.CompilerErrors);
    }

    private const string OtherAttribute = """
        namespace Other
        {
            [System.AttributeUsage(System.AttributeTargets.All)]
            public sealed class WarmupSampleAttribute : System.Attribute { public int[]? BatchSizes { get; set; } }
        }
        """;

    public static TheoryData<string> NotOurs => new()
    {
        // Another namespace's WarmupSample, qualified, through a using, and through an alias.
        "using Warmup; namespace Demo; [WarmupModel(\"half_plus_two\")] public partial class Model { [Other.WarmupSample] public int Instance => 1; }",
        "using Other; namespace Demo; [Warmup.WarmupModel(\"half_plus_two\")] public partial class Model { [WarmupSample(BatchSizes = new[] { 0 })] public int Instance => 1; }",
        "using Warmup; using Sample = Other.WarmupSampleAttribute; namespace Demo; [WarmupModel(\"half_plus_two\")] public partial class Model { [Sample] public int Instance => 1; }",
        // Ours, but not on the member itself: on the return value, on an auto-property's backing field.
        "using Warmup; namespace Demo; [WarmupModel(\"half_plus_two\")] public partial class Model { [field: WarmupSample] public ServingDefaultInputs? Instance { get; } }",
        // Outside a model: not ours, so not WARMUP0017.
        "using Other; namespace Demo; public class Plain { [WarmupSample] public static int Value => 1; }",
    };

    [Theory]
    [MemberData(nameof(NotOurs))]
    public void An_attribute_that_does_not_bind_to_WarmupSample_is_not_a_sample(string source)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run([source, OtherAttribute], HalfPlusTwo);

        // Were these samples, they would be reported (not static: WARMUP0002; outside a model: WARMUP0017) and listed.
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompilerErrors);
        Assert.DoesNotContain(result.RunResult.GeneratedSources, s => s.HintName == "Warmup.Manifest.g.cs");
    }

    [Fact]
    public void An_attribute_on_the_return_value_is_not_a_sample()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(
            "using Warmup; namespace Demo; [WarmupModel(\"half_plus_two\")] public partial class Model { [return: WarmupSample] public int Instance() => 1; }",
            HalfPlusTwo);

        // The compiler rejects the target (CS0592); the generator does not take it for a sample.
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Contains(result.CompilerErrors, d => d.Id == "CS0592");
    }

    [Fact]
    public void Samples_in_every_partial_declaration_are_read_in_declaration_order()
    {
        // The [WarmupModel] declaration is in the second file; a third file declares the class in a nested namespace block.
        const string First = """
            using Warmup;
            namespace Demo;
            public static partial class Model
            {
                [WarmupSample] public static ServingDefaultInputs B => new() { X = new float[,] { { 2f } } };
                [WarmupSample] public static readonly ServingDefaultInputs C = new() { X = new float[,] { { 3f } } }, D = new() { X = new float[,] { { 4f } } };
            }
            """;
        const string Second = """
            using Warmup;
            namespace Demo;
            [WarmupModel("half_plus_two")]
            public static partial class Model
            {
                [WarmupSample] public static ServingDefaultInputs A => new() { X = new float[,] { { 1f } } };
            }
            """;
        const string Third = """
            using WS = Warmup.WarmupSampleAttribute;
            namespace Demo
            {
                public static partial class Model
                {
                    [WS(Name = "e")] internal static ServingDefaultInputs E() => new() { X = new float[,] { { 5f } } };
                }
            }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run([First, Second, Third], HalfPlusTwo);

        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompilerErrors);
        string manifest = result.Generated("Warmup.Manifest.g.cs");
        string[] order = ["\"Model.B\", \"Samples0.cs\", 5,", "\"Model.C\", \"Samples0.cs\", 6,", "\"Model.D\", \"Samples0.cs\", 6,", "\"Model.A\", \"Samples1.cs\", 6,", "\"e\", \"Samples2.cs\", 6,"];
        int[] positions = order.Select(s => manifest.IndexOf(s, StringComparison.Ordinal)).ToArray();
        Assert.All(positions, p => Assert.True(p >= 0, manifest));
        Assert.Equal(positions.Order().ToArray(), positions);
    }

    [Fact]
    public void Samples_outside_a_model_are_reported_in_nested_types_and_through_aliases()
    {
        const string Source = """
            using Warmup;
            using WS = Warmup.WarmupSampleAttribute;
            namespace Demo;
            [WarmupModel("half_plus_two")]
            public static partial class Model
            {
                [WarmupSample] public static ServingDefaultInputs A => new() { X = new float[,] { { 1f } } };

                public static class Nested
                {
                    [WarmupSample] public static int InNested => 1;
                }
            }

            public class Plain
            {
                [WS] public static int ThroughAlias => 1;
                [WarmupSample] public static int First = 1, Second = 2;
            }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(Source, HalfPlusTwo);

        Assert.Equal(
            [
                "WARMUP0017 Sample 'InNested' is declared in 'Demo.Model.Nested', which has no [WarmupModel]; move it into the model's class",
                "WARMUP0017 Sample 'ThroughAlias' is declared in 'Demo.Plain', which has no [WarmupModel]; move it into the model's class",
                "WARMUP0017 Sample 'First' is declared in 'Demo.Plain', which has no [WarmupModel]; move it into the model's class",
                "WARMUP0017 Sample 'Second' is declared in 'Demo.Plain', which has no [WarmupModel]; move it into the model's class",
            ],
            result.Reported.Select(d => d.Id + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(["InNested", "ThroughAlias", "First", "Second"], result.Reported.Select(d => Source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)));
        Assert.Contains("\"Model.A\"", result.Generated("Warmup.Manifest.g.cs"), StringComparison.Ordinal);
    }
}
