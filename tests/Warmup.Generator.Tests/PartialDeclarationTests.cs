using Microsoft.CodeAnalysis;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>A model class split over several partial declarations is one model, whichever declaration holds what.</summary>
public class PartialDeclarationTests
{
    private static readonly AdditionalText[] Signatures =
    [
        GeneratorHarness.Signature("/src/obj/warmup/half_plus_two.warmup-signature", Scenarios.HalfPlusTwoSignature),
        GeneratorHarness.Signature("/src/obj/warmup/multi_input.warmup-signature", Scenarios.MultiInputSignature),
    ];

    // Another model in the same compilation: its generated types must survive whatever happens to the split one.
    private const string OtherModel = """
        using Warmup;
        [WarmupModel("multi_input")]
        public static partial class Other
        {
            [WarmupSample]
            public static ServingDefaultInputs S => new() { Image = new float[1, 2, 2], Ids = new long[1, 3], Mask = new[] { true }, Scale = (System.Half)1f, Label = new[] { "a" }, Level = new[] { 1 } };
        }
        """;

    private const string FirstPart = """
        using Warmup;
        [WarmupModel("half_plus_two")]
        public static partial class Split
        {
            [WarmupSample]
            public static ServingDefaultInputs First => new() { X = new float[,] { { 1f } } };
        }
        """;

    [Fact]
    public void WarmupModel_on_several_partial_declarations_gives_one_model_and_the_compilers_duplicate_attribute_error()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(
            [
                FirstPart,
                """
                using Warmup;
                [WarmupModel("half_plus_two")]
                public static partial class Split
                {
                    [WarmupSample]
                    public static ServingDefaultInputs Second => new() { X = new float[,] { { 2f } } };
                }
                """,
                """
                using Warmup;
                [WarmupModel("half_plus_two")]
                public static partial class Split
                {
                }
                """,
                OtherModel,
            ],
            Signatures);

        Assert.Null(result.RunResult.Exception);
        Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Id is "CS8785" or "WARMUP0099");
        // The duplicate attribute is the compiler's own clear error (CS0579), at the second and third declarations.
        Assert.Equal(["CS0579", "CS0579"], result.CompilerErrors.Select(d => d.Id));
        // One model: one generated file for Split (both partial declarations' samples), one for the other model.
        Assert.Single(result.RunResult.GeneratedSources, s => s.HintName.Contains("Split", StringComparison.Ordinal));
        Assert.Single(result.RunResult.GeneratedSources, s => s.HintName.Contains("Other", StringComparison.Ordinal));
        string manifest = result.Generated("Warmup.Manifest.g.cs");
        Assert.Contains("\"Split.First\"", manifest, StringComparison.Ordinal);
        Assert.Contains("\"Split.Second\"", manifest, StringComparison.Ordinal);
        Assert.Contains("\"Other.S\"", manifest, StringComparison.Ordinal);
    }

    [Fact]
    public void WarmupModel_on_one_partial_declaration_reads_the_samples_of_all_of_them()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(
            [
                FirstPart,
                """
                using Warmup;
                public static partial class Split
                {
                    [WarmupSample]
                    public static ServingDefaultInputs Second => new() { X = new float[,] { { 2f } } };
                }
                """,
                OtherModel,
            ],
            Signatures);

        Assert.Null(result.RunResult.Exception);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompilerErrors);
        string manifest = result.Generated("Warmup.Manifest.g.cs");
        Assert.Contains("\"Split.First\"", manifest, StringComparison.Ordinal);
        Assert.Contains("\"Split.Second\"", manifest, StringComparison.Ordinal);
    }
}
