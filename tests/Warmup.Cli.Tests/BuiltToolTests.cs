using System.Text.Json;
using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

/// <summary>The built tool as a separate process: the real Main, real console streams (redirected, so no progress).</summary>
public sealed class BuiltToolTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static (int ExitCode, string Out, string Err) Tool(params string[] args)
    {
        var (code, stdout, stderr) = CliHarness.Tool(args);
        return (code, System.Text.Encoding.UTF8.GetString(stdout), stderr);
    }

    [Fact]
    public void The_tool_process_writes_json_on_stdout_and_one_error_line_on_stderr()
    {
        var file = _cli.WarmupFileOf("ok", HalfPlusTwoRecord(1, 2));
        var damaged = _cli.PathOf("damaged");
        var bytes = File.ReadAllBytes(file);
        bytes[20] ^= 0x10;
        File.WriteAllBytes(damaged, bytes);

        var ok = Tool("inspect", file, "--json");
        var bad = Tool("validate", damaged);
        var usage = Tool("inspect");

        Assert.Equal(0, ok.ExitCode);
        using (var json = JsonDocument.Parse(ok.Out))
        {
            Assert.Equal(1, json.RootElement.GetProperty("summary").GetProperty("records").GetInt32());
        }

        Assert.DoesNotContain('\r', ok.Err);
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith($"error: {damaged}: record 0 at byte 0: ", bad.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", bad.Err, StringComparison.Ordinal);
        Assert.Empty(bad.Out);
        Assert.Equal(2, usage.ExitCode);
    }
}
