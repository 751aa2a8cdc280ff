using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>
/// WARMUP0021: one Info diagnostic per bound model, at its [WarmupModel] attribute, naming every generated type with its
/// signature and properties. Other tests leave it out (GeneratorHarness.WithoutGeneratedNames); these assert its text.
/// </summary>
public class GeneratedNamesTests
{
    private const string HalfPlusTwoPath = "/src/obj/warmup/half_plus_two.warmup-signature";

    private const string PredictOnly = """
        warmup-signature 1
        model half_plus_two
        format onnx
        signature serving_default predict
        input x DT_FLOAT [-1,1] x

        """;

    [Fact]
    public void Predict_model_names_its_inputs_type_and_properties_at_the_attribute()
    {
        const string Source = """
            using Warmup;
            namespace Demo;
            [WarmupModel("half_plus_two")]
            public partial class HalfPlusTwoSamples { }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(Source, GeneratorHarness.Signature(HalfPlusTwoPath, PredictOnly));

        Diagnostic info = Assert.Single(result.AllGeneratorDiagnostics);
        Assert.Equal("WARMUP0021", info.Id);
        Assert.Equal(DiagnosticSeverity.Info, info.Severity);
        Assert.Equal(DiagnosticSeverity.Info, info.DefaultSeverity);
        Assert.Equal(
            "Model 'half_plus_two' generates HalfPlusTwoSamples.ServingDefaultInputs (serving_default: X float[,])",
            info.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal("WarmupModel(\"half_plus_two\")", Source.Substring(info.Location.SourceSpan.Start, info.Location.SourceSpan.Length));
        Assert.Empty(result.GeneratorDiagnostics);
    }

    [Fact]
    public void Predict_model_with_several_dtypes_names_each_property_type_and_the_bytes_alternative()
    {
        GeneratorHarness.Result result = Scenarios.Run(Scenarios.PredictMultiInput);

        Assert.Equal(
            "Model 'multi_input' generates MultiInput.ServingDefaultInputs (serving_default: Image float[,,], Ids long[,], Mask bool[], Scale System.Half, Label string[] or LabelBytes byte[][], Level int[])",
            Message(result));
    }

    [Fact]
    public void Multi_signature_model_lists_every_inputs_type_in_signature_order()
    {
        GeneratorHarness.Result result = Scenarios.Run(Scenarios.HandDeclared);

        Assert.Equal(
            "Model 'ranker' generates Ranker.EmbedInputs (embed: Tokens string[] or TokensBytes byte[][]); Ranker.ServingDefaultInputs (serving_default: QueryIds long[,], Dense float[,], Temperature float)",
            Message(result));
    }

    [Fact]
    public void Classify_and_regress_model_names_the_example_type_its_features_and_multi_inference()
    {
        GeneratorHarness.Result result = Scenarios.Run(Scenarios.ClassifyRegress);

        Assert.Equal(
            "Model 'half_plus_two' generates "
            + "HalfPlusTwo.ClassifyXToYInputs (classify_x_to_y, classify: Examples IReadOnlyList<WarmupExample>, Context WarmupExample); "
            + "HalfPlusTwo.RegressX2ToY3Inputs (regress_x2_to_y3, regress: Examples IReadOnlyList<WarmupExample>, Context WarmupExample); "
            + "HalfPlusTwo.RegressXToYInputs (regress_x_to_y, regress: Examples IReadOnlyList<WarmupExample>, Context WarmupExample); "
            + "HalfPlusTwo.RegressXToY2Inputs (regress_x_to_y2, regress: Examples IReadOnlyList<WarmupExample>, Context WarmupExample); "
            + "HalfPlusTwo.ServingDefaultInputs (serving_default: X float[,]); "
            + "HalfPlusTwo.WarmupExample (features declared with [WarmupFeature]: Id long[], Raw byte[][], Tag string[], X float[]); "
            + "HalfPlusTwo.MultiInferenceInputs (classify and regress signatures in one request: Examples IReadOnlyList<WarmupExample>, Context WarmupExample)",
            Message(result));
    }

    [Fact]
    public void Classify_model_without_features_says_to_declare_them_with_WarmupFeature()
    {
        const string Source = """
            using Warmup;
            [WarmupModel("half_plus_two")]
            public partial class Model { }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(Source, GeneratorHarness.Signature(HalfPlusTwoPath, Scenarios.HalfPlusTwoSignature));

        Assert.Contains("Model.WarmupExample (no features yet: declare each feature on the model class with [WarmupFeature])", Message(result), StringComparison.Ordinal);
    }

    [Fact]
    public void Nested_model_is_named_through_its_containing_types_and_each_model_gets_one()
    {
        GeneratorHarness.Result result = Scenarios.Run(Scenarios.NestedNamespaced);

        Assert.Equal(
            [
                "Model 'a_global' generates GlobalModel.ServingDefaultInputs (serving_default: X double[])",
                "Model 'detector' generates Catalog.Detectors.Detector.ServingDefaultInputs (serving_default: Image byte[,,,], ScoreThreshold float)",
            ],
            result.AllGeneratorDiagnostics.Where(d => d.Id == GeneratorHarness.GeneratedNamesId).Select(d => d.GetMessage(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_model_that_generates_nothing_gets_no_info()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run("""
            using Warmup;
            [WarmupModel("no_such_model")]
            public partial class Model { }
            """);

        Assert.Equal(["WARMUP0013"], result.AllGeneratorDiagnostics.Select(d => d.Id));
    }

    [Fact]
    public void Info_stays_info_under_warnaserror()
    {
        // TreatWarningsAsErrors is /warnaserror+: it promotes warnings only, so the info never fails a user's build.
        CSharpCompilation compilation = GeneratorHarness.Compile("""
            using Warmup;
            /// <summary>A model.</summary>
            [WarmupModel("half_plus_two")]
            public partial class Model { }
            """);
        compilation = compilation.WithOptions(compilation.Options.WithGeneralDiagnosticOption(ReportDiagnostic.Error));
        GeneratorHarness.CreateDriver(GeneratorHarness.Signature(HalfPlusTwoPath, PredictOnly))
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var diagnostics);

        Diagnostic info = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticSeverity.Info, info.Severity);
        Assert.False(info.IsWarningAsError);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    private static string Message(GeneratorHarness.Result result)
        => Assert.Single(result.AllGeneratorDiagnostics, d => d.Id == GeneratorHarness.GeneratedNamesId).GetMessage(CultureInfo.InvariantCulture);
}
