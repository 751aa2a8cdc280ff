using Warmup.Format.Signatures;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>The signature-file format (docs/contracts.md §1), through Warmup.Format's public copy of the one parser/writer.</summary>
public class SignatureTextTests
{
    private const string Example = """
        warmup-signature 1
        model half_plus_two
        source models/half_plus_two.onnx
        format onnx
        signature serving_default predict
        input x DT_FLOAT [batch,1] x
        output y DT_FLOAT [batch,1] y
        signature regress_x_to_y regress
        input inputs DT_STRING * tf_example:0
        output outputs DT_FLOAT [-1,1] y:0

        """;

    [Fact]
    public void Parses_the_contract_example()
    {
        Assert.True(SignatureText.TryParse(Example, out SignatureFile? file, out SignatureTextError? error), error?.ToString());
        Assert.Equal("half_plus_two", file!.ModelName);
        Assert.Equal("onnx", file.Format);
        Assert.Equal(["serving_default", "regress_x_to_y"], file.Signatures.Select(s => s.Key));
        SignatureTensor x = file.Signatures[0].Inputs.Single();
        Assert.Equal(("x", "DT_FLOAT", 6), (x.Name, x.DType, x.Line));
        Assert.Equal([SignatureDimension.Symbolic("batch"), SignatureDimension.Fixed(1)], x.Shape);
        Assert.Null(file.Signatures[1].Inputs[0].Shape);
        Assert.Equal("tf_example:0", file.Signatures[1].Inputs[0].TensorName);
    }

    [Fact]
    public void Write_round_trips_byte_for_byte()
    {
        Assert.True(SignatureText.TryParse(Example, out SignatureFile? file, out _));
        Assert.Equal(Example, SignatureText.Write(file!));
    }

    [Fact]
    public void Names_outside_the_safe_set_are_percent_encoded()
    {
        var file = new SignatureFile("my model", "m.onnx", "onnx",
        [
            new SignatureDefinition("serving_default", "predict",
                [new SignatureTensor("é x", "DT_FLOAT", [SignatureDimension.Symbolic("n,[m]"), SignatureDimension.Unknown], "é x")],
                []),
        ]);
        string text = SignatureText.Write(file);
        Assert.Contains("model my%20model\n", text, StringComparison.Ordinal);
        Assert.Contains("input %C3%A9%20x DT_FLOAT [n%2C%5Bm%5D,-1] %C3%A9%20x\n", text, StringComparison.Ordinal);
        Assert.True(SignatureText.TryParse(text, out SignatureFile? back, out _));
        Assert.Equal("é x", back!.Signatures[0].Inputs[0].Name);
        Assert.Equal("n,[m]", back.Signatures[0].Inputs[0].Shape![0].Symbol);
    }

    [Theory]
    [InlineData("", 0, "empty")]
    [InlineData("warmup-signature 2\n", 1, "header")]
    [InlineData("warmup-signature 1\nmodel m\nsignature s predict\ninput x DT_FLOAT [1,-2] x\n", 4, "Invalid dimension '-2'")]
    [InlineData("warmup-signature 1\nmodel m\nsignature s predict\ninput x FLOAT [1] x\n", 4, "Invalid dtype")]
    [InlineData("warmup-signature 1\nmodel m\nsignature s guess\n", 3, "Unknown method")]
    [InlineData("warmup-signature 1\nmodel m\nsignature s predict\nsignature s predict\n", 4, "Duplicate signature")]
    [InlineData("warmup-signature 1\nmodel m\ninput x DT_FLOAT [1] x\n", 3, "must follow a 'signature' line")]
    [InlineData("warmup-signature 1\nmodel  m\n", 2, "exactly one space")]
    [InlineData("warmup-signature 1\nmodel m%4\n", 2, "percent-encoding")]
    [InlineData("warmup-signature 1\nsource a\n", 0, "no 'model' line")]
    public void Invalid_text_reports_the_line_and_what_is_wrong(string text, int line, string message)
    {
        Assert.False(SignatureText.TryParse(text, out SignatureFile? file, out SignatureTextError? error));
        Assert.Null(file);
        Assert.Equal(line, error!.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
