using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Help_lists_every_command_and_each_command_has_help()
    {
        var root = Run("--help");

        Assert.Equal(0, root.ExitCode);
        foreach (var command in new[] { "inspect", "validate", "create", "convert", "run", "measure" })
        {
            Assert.Contains(command, root.Out, StringComparison.Ordinal);
            var help = Run(command, "--help");
            Assert.True(help.ExitCode == 0, help.ToString());
            Assert.Contains("Usage:", help.Out, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("inspect")]
    [InlineData("inspect", "a", "--values", "-1")]
    [InlineData("validate", "a", "--bogus")]
    [InlineData("convert", "a")]
    [InlineData("convert", "a", "b", "--to", "xml")]
    [InlineData("measure", "--model", "m.onnx")]
    [InlineData("run", "--model", "m.onnx", "--requests", "r", "--device", "tpu")]
    public void Usage_errors_exit_2_with_a_hint(params string[] args)
    {
        var result = Run(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("error: ", result.Err, StringComparison.Ordinal);
        Assert.Contains("--help' for usage.", result.Err, StringComparison.Ordinal);
        Assert.Empty(result.Out);
    }
}
