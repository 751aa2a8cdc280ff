using System.Text.Json;
using Warmup.Format.Tensors;
using Warmup.Runtime;
using Warmup.Runtime.Measurement;
using Warmup.Testing;
using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

/// <summary>
/// <c>warmup measure --scope process</c> (the default): fresh processes of the real tool (<c>dotnet warmup.dll measure-child</c>)
/// on a real ONNX Runtime, few processes and small models. Figures are benchmarked in bench/, never asserted.
/// </summary>
public sealed class MeasureProcessScopeTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Measure_defaults_to_fresh_processes_and_reports_medians_spreads_and_time_to_ready()
    {
        var (model, file) = Conv(24, 32, 24);
        var report = _cli.PathOf("report.html");

        var result = Run("measure", "--model", model, "--requests", file, "--processes", "2", "--repeat", "15", "--json", "--report", report);

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.Equal("cpu", json.GetProperty("device").GetString());
        var records = json.GetProperty("records").EnumerateArray().ToArray();
        Assert.Equal([0L, 1], records.Select(r => r.GetProperty("index").GetInt64()));
        Assert.Equal([2, 1], records.Select(r => r.GetProperty("records").GetInt32()));
        Assert.All(records, r =>
        {
            var spread = r.GetProperty("spread");
            foreach (var key in new[] { "coldFirstMs", "warmFirstMs", "steadyP50Ms", "coldFirstToSteady", "warmFirstToSteady" })
            {
                var median = r.GetProperty(key).GetDouble();
                var (min, max) = (spread.GetProperty(key).GetProperty("min").GetDouble(), spread.GetProperty(key).GetProperty("max").GetDouble());
                Assert.True(median > 0 && min <= median && median <= max, $"{key}: {min} ≤ {median} ≤ {max}");
            }
        });
        var summary = json.GetProperty("summary");
        Assert.Equal("process", summary.GetProperty("scope").GetString());
        Assert.Equal(2, summary.GetProperty("processes").GetInt32());
        Assert.Equal(3, summary.GetProperty("records").GetInt32());
        Assert.Equal(15, summary.GetProperty("steadyRuns").GetInt32());
        var ready = summary.GetProperty("timeToReadyMs");
        Assert.True(ready.GetProperty("cold").GetDouble() > 0 && ready.GetProperty("warm").GetDouble() > 0);
        var cold = summary.GetProperty("timeToReady").GetProperty("cold");
        var warm = summary.GetProperty("timeToReady").GetProperty("warm");
        Assert.Equal(0, cold.GetProperty("replayMs").GetDouble());
        Assert.True(warm.GetProperty("replayMs").GetDouble() > 0 && warm.GetProperty("sessionMs").GetDouble() > 0);
        Assert.Equal(warm.GetProperty("replayMs").GetDouble(), summary.GetProperty("warmupMs").GetDouble());
        Assert.True(summary.GetProperty("absorbedSteadyMs").GetDouble() > 0);
        Assert.Equal(records.Max(r => r.GetProperty("coldFirstToSteady").GetDouble()), summary.GetProperty("maxColdFirstToSteady").GetDouble(), 9);
        Assert.Equal(records.Max(r => r.GetProperty("warmFirstToSteady").GetDouble()), summary.GetProperty("maxWarmFirstToSteady").GetDouble(), 9);
        Assert.True(summary.GetProperty("medianColdFirstToSteady").GetDouble() > 0 && summary.GetProperty("medianWarmFirstToSteady").GetDouble() > 0);

        var html = File.ReadAllText(report);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("2 fresh process(es) per condition", html, StringComparison.Ordinal);
        Assert.Equal(records.Length * 3, html.Split("<rect ").Length - 1);
        Assert.Equal(records.Length * 3 + 1, html.Split("<line ").Length - 1); // a min–max whisker per bar, and the axis
        Assert.Contains("class=\"range\"", html, StringComparison.Ordinal);
        Assert.Contains("time to ready", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_table_names_the_processes_and_the_time_to_ready()
    {
        var (model, file) = Conv(16);

        var result = Run("measure", "--model", model, "--requests", file, "--processes", "1", "--repeat", "15");

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, rows.Length);
        Assert.Contains("x:DT_FLOAT[1,3,16,16]", rows[1], StringComparison.Ordinal);
        Assert.Contains("medians over 1 fresh process(es) per condition", result.Err, StringComparison.Ordinal);
        Assert.Contains("time to ready: without warmup", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_child_command_is_hidden_and_answers_with_one_json_line()
    {
        var (model, file) = Conv(16, 24);

        var child = Run("measure-child", "--model", model, "--requests", file, "--condition", "warm", "--repeat", "15", "--iterations", "1");

        Assert.True(child.ExitCode == 0, child.ToString());
        var line = Assert.Single(child.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var answer = ChildMeasurement.TryParse(line);
        Assert.NotNull(answer);
        Assert.Equal(MeasurementCondition.Warm, answer.Condition);
        Assert.Equal("cpu", answer.Device);
        Assert.Equal(1, answer.Iterations);
        Assert.True(answer.SessionMs > 0 && answer.ReplayMs > 0);
        Assert.Equal(["x:DT_FLOAT[1,3,16,16]", "x:DT_FLOAT[1,3,24,24]"], answer.Shapes.Select(s => s.Shape));
        Assert.DoesNotContain(MeasureCommandName, Run("--help").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_child_that_cannot_load_the_model_is_one_error_naming_the_condition_and_process()
    {
        var (_, file) = Conv(16);
        var broken = _cli.PathOf("broken.onnx");
        File.WriteAllBytes(broken, [1, 2, 3, 4, 5]);

        var result = Run("measure", "--model", broken, "--requests", file, "--processes", "2");

        AssertOneLineError(result, 1, "the cold condition's process 1 of 2 failed (exit code 1): ");
        Assert.Contains("ONNX Runtime cannot load the model", result.Err, StringComparison.Ordinal);
        Assert.Single(result.ErrLines);
    }

    [Theory]
    [InlineData("--scope", "thread", "'thread' not recognized")]
    [InlineData("--processes", "0", "--processes must be between 1 and 1000, not 0.")]
    [InlineData("--timeout", "0", "--timeout must be between 1 and 86400, not 0.")]
    public void Bad_scope_options_are_usage_errors(string option, string value, string expected)
    {
        var (model, file) = Conv(16);

        var result = Run("measure", "--model", model, "--requests", file, option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Err, StringComparison.Ordinal);
    }

    private const string MeasureCommandName = "measure-child";

    private (string Model, string File) Conv(params int[] sizes)
    {
        var model = _cli.Model("conv.onnx", TestModels.ConvRelu(channels: 4));
        var file = _cli.PathOf("conv.warmup");
        var logs = sizes.Select(size => Predict("conv", ("x", TensorProtoConverter.FromArray(new float[3 * size * size], 1, 3, size, size)))).ToArray();
        Warmup.Format.WarmupFile.Write(file, logs);
        return (model, file);
    }
}
