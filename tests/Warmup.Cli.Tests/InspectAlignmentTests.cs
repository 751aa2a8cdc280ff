using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

public sealed class InspectAlignmentTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Inspect_columns_stay_aligned_with_model_names_longer_than_the_column()
    {
        var longName = "a_model_name_far_longer_than_sixteen_characters";
        var file = _cli.WarmupFileOf("long", HalfPlusTwoRecord(1), Predict(longName, ("x", Warmup.Format.Tensors.TensorProtoConverter.FromArray(new[] { 2f }, 1, 1))));

        var result = Run("inspect", file);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        // The signature and inputs columns start at the same position on the header and on every row.
        var signatureColumn = lines[0].IndexOf("signature", StringComparison.Ordinal);
        var inputsColumn = lines[0].IndexOf("inputs", StringComparison.Ordinal);
        Assert.True(signatureColumn > lines[2].IndexOf(longName, StringComparison.Ordinal) + longName.Length, lines[0]);
        Assert.All(lines[1..], line =>
        {
            Assert.Equal('-', line[signatureColumn]); // no signature name in these records
            Assert.Equal(' ', line[signatureColumn - 1]);
            Assert.Equal("x DT_FLOAT", line.Substring(inputsColumn, "x DT_FLOAT".Length));
        });
    }
}
