using System.Diagnostics;
using Warmup.Runtime.Measurement;
using Warmup.Testing;

namespace Warmup.Runtime.Tests;

/// <summary>
/// Fresh-process measurement: the child's side on a real ONNX Runtime session, and the parent's handling of real child
/// processes (shell one-liners that answer, crash, hang or print garbage). Figures are benchmarked in bench/, never asserted.
/// </summary>
public sealed class ProcessMeasurementTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(MeasurementCondition.Cold)]
    [InlineData(MeasurementCondition.Warm)]
    public async Task The_child_times_each_shape_once_ready_and_answers_with_one_json_line(MeasurementCondition condition)
    {
        var path = Records.Write(_dir.File("warmup"),
            Records.Predict(("x", Records.Floats(1, 3, 16, 16))),
            Records.Predict(("x", Records.Floats(2, 3, 24, 16))),
            Records.Predict(("x", Records.Floats(1, 3, 16, 16))));
        var sessions = 0;

        var child = await ProcessMeasurement.MeasureThisProcessAsync(() =>
        {
            sessions++;
            return Sessions.Create(TestModels.ConvRelu(channels: 4));
        }, path, condition, new WarmupMeasurementOptions { SteadyRuns = 5 });

        Assert.Equal(1, sessions);
        Assert.Equal(condition, child.Condition);
        Assert.True(child.SessionMs > 0);
        Assert.Equal(condition == MeasurementCondition.Warm, child.ReplayMs > 0);
        Assert.Equal(WarmupReplayOptions.DefaultIterations, child.Iterations);
        Assert.Equal(5, child.SteadyRuns);
        Assert.Equal(["x:DT_FLOAT[1,3,16,16]", "x:DT_FLOAT[2,3,24,16]"], child.Shapes.Select(s => s.Shape));
        Assert.Equal([0L, 1L], child.Shapes.Select(s => s.FirstRecordIndex));
        Assert.Equal([2, 1], child.Shapes.Select(s => s.Records));
        Assert.All(child.Shapes, s => Assert.True(s.FirstMs > 0 && s.SteadyP50Ms > 0 && s.Signature == "serving_default"));

        var line = child.ToJsonLine();
        Assert.DoesNotContain('\n', line);
        var parsed = ChildMeasurement.TryParse(line);
        Assert.NotNull(parsed);
        Assert.Equal(child.Shapes, parsed.Shapes);
        Assert.Equal(line, parsed.ToJsonLine());
    }

    [Fact]
    public async Task The_parent_alternates_conditions_and_takes_medians_of_ratios_within_each_process()
    {
        // Fake children answer with known figures: process i's first request is 10 * (i + 1) ms cold and 2 ms warm, its steady p50 i + 1 ms.
        var started = new List<(MeasurementCondition, int)>();
        var report = await ProcessMeasurement.MeasureAsync((condition, index) =>
        {
            started.Add((condition, index));
            var steady = index + 1.0;
            return Echo(new ChildMeasurement
            {
                Condition = condition,
                Device = "cpu",
                SessionMs = 100 + index,
                ReplayMs = condition == MeasurementCondition.Warm ? 50 : 0,
                Iterations = 2,
                SteadyRuns = 15,
                Shapes = [Shape(condition == MeasurementCondition.Cold ? 10 * steady : 2, steady, records: 3)],
            }.ToJsonLine());
        }, "file", new ProcessMeasurementOptions { Processes = 3 });

        Assert.Equal([(MeasurementCondition.Cold, 0), (MeasurementCondition.Warm, 0), (MeasurementCondition.Cold, 1), (MeasurementCondition.Warm, 1),
            (MeasurementCondition.Cold, 2), (MeasurementCondition.Warm, 2)], started);
        var shape = Assert.Single(report.Shapes);
        Assert.Equal(new Spread(20, 10, 30), shape.ColdFirstMs);
        Assert.Equal(new Spread(2, 2, 2), shape.WarmFirstMs);
        Assert.Equal(new Spread(2, 1, 3), shape.SteadyP50Ms);
        Assert.Equal(new Spread(10, 10, 10), shape.ColdFirstToSteady);   // 10x in every process, although the medians' ratio is 20 / 2
        Assert.Equal(new Spread(1, 2.0 / 3, 2), shape.WarmFirstToSteady);
        var summary = report.Summary;
        Assert.Equal(3, summary.Processes);
        Assert.Equal(3, summary.Records);
        Assert.Equal("cpu", summary.Device);
        Assert.Equal(new Spread(101, 100, 102), summary.Cold.TotalMs);
        Assert.Equal(new Spread(0, 0, 0), summary.Cold.ReplayMs);
        Assert.Equal(new Spread(151, 150, 152), summary.Warm.TotalMs);
        Assert.Equal(new Spread(12, 6, 18), summary.AbsorbedSteadyMs); // 3 records x 2 iterations x steady p50
        Assert.Equal(10, summary.MedianColdFirstRatio);
        Assert.Equal(1, summary.MaxWarmFirstRatio);
        Assert.Equal(6, report.Children.Count);

        // The report's one JSON form, the tool's: medians, their ranges in "spread", time to ready; the children's device by default.
        using var json = System.Text.Json.JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        Assert.Equal("cpu", root.GetProperty("device").GetString());
        Assert.Equal("gpu", System.Text.Json.JsonDocument.Parse(report.ToJson("gpu")).RootElement.GetProperty("device").GetString());
        var record = root.GetProperty("records")[0];
        Assert.Equal(["index", "shape", "signature", "records", "coldFirstMs", "warmFirstMs", "steadyP50Ms", "coldFirstToSteady", "warmFirstToSteady", "spread"],
            record.EnumerateObject().Select(p => p.Name));
        Assert.Equal(20, record.GetProperty("coldFirstMs").GetDouble());
        Assert.Equal(30, record.GetProperty("spread").GetProperty("coldFirstMs").GetProperty("max").GetDouble());
        var jsonSummary = root.GetProperty("summary");
        Assert.Equal(["scope", "processes", "shapes", "records", "iterations", "steadyRuns", "warmupMs", "timeToReadyMs", "timeToReady", "absorbedSteadyMs",
            "maxWarmFirstToSteady", "medianWarmFirstToSteady", "maxColdFirstToSteady", "medianColdFirstToSteady"], jsonSummary.EnumerateObject().Select(p => p.Name));
        Assert.Equal("process", jsonSummary.GetProperty("scope").GetString());
        Assert.Equal(151, jsonSummary.GetProperty("timeToReadyMs").GetProperty("warm").GetDouble());
        Assert.Equal(152, jsonSummary.GetProperty("timeToReady").GetProperty("warm").GetProperty("totalMaxMs").GetDouble());
        Assert.Equal(12, jsonSummary.GetProperty("absorbedSteadyMs").GetDouble());
    }

    [Fact]
    public async Task A_crashing_child_is_one_error_naming_its_condition_and_index()
    {
        var ex = await Assert.ThrowsAsync<MeasurementProcessException>(() => ProcessMeasurement.MeasureAsync((condition, index) =>
            condition == MeasurementCondition.Warm && index == 1 ? Shell("echo partial; kill -SEGV $$") : Echo(Valid(condition)),
            "file", new ProcessMeasurementOptions { Processes = 2 }));

        Assert.Equal(MeasurementCondition.Warm, ex.Condition);
        Assert.Equal(1, ex.ProcessIndex);
        Assert.Equal(139, ex.ExitCode);
        Assert.StartsWith("the warm condition's process 2 of 2 crashed (exit code 139, signal 11)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_child_passes_its_own_error_line_on()
    {
        var ex = await Assert.ThrowsAsync<MeasurementProcessException>(() => ProcessMeasurement.MeasureAsync((_, _) =>
            Shell("echo 'warning: something' >&2; echo 'error: m.onnx: cannot load the model.' >&2; exit 1"), "file"));

        Assert.Equal(MeasurementCondition.Cold, ex.Condition);
        Assert.Equal(0, ex.ProcessIndex);
        Assert.Equal("m.onnx: cannot load the model.", ex.ChildError);
        Assert.Equal("the cold condition's process 1 of 5 failed (exit code 1): m.onnx: cannot load the model.", ex.Message);
    }

    [Fact]
    public async Task A_hung_child_is_killed_after_the_timeout()
    {
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<MeasurementProcessException>(() => ProcessMeasurement.MeasureAsync((condition, _) =>
            condition == MeasurementCondition.Cold ? Shell("exec sleep 60") : Echo(Valid(condition)),
            "file", new ProcessMeasurementOptions { Processes = 2, ChildTimeout = TimeSpan.FromSeconds(1) }));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), watch.Elapsed.ToString());
        Assert.Equal(MeasurementCondition.Cold, ex.Condition);
        Assert.Equal(0, ex.ProcessIndex);
        Assert.Null(ex.ExitCode);
        Assert.Equal("the cold condition's process 1 of 2 did not answer within 1 s and was killed (raise the timeout for a slow model).", ex.Message);
    }

    [Theory]
    [InlineData("echo 'hello world'", "printed no valid JSON line (warmup-measure-child/1); its last line was: hello world")]
    [InlineData("echo '{\"protocol\":\"something-else/9\"}'", "printed no valid JSON line")]
    [InlineData("true", "exited without printing its JSON line.")]
    public async Task A_child_that_prints_garbage_is_one_error(string script, string expected)
    {
        var ex = await Assert.ThrowsAsync<MeasurementProcessException>(() => ProcessMeasurement.MeasureAsync((condition, _) =>
            condition == MeasurementCondition.Warm ? Shell(script) : Echo(Valid(condition)), "file", new ProcessMeasurementOptions { Processes = 1 }));

        Assert.Equal(MeasurementCondition.Warm, ex.Condition);
        Assert.StartsWith("the warm condition's process 1 of 1 " + expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Children_that_disagree_on_the_shapes_are_refused()
    {
        var ex = await Assert.ThrowsAsync<MeasurementProcessException>(() => ProcessMeasurement.MeasureAsync((condition, _) =>
            Echo((Valid(condition) with { Shapes = condition == MeasurementCondition.Cold ? [Shape(1, 1, 1)] : [Shape(1, 1, 1), Shape(1, 1, 1)] }).ToJsonLine()),
            "file", new ProcessMeasurementOptions { Processes = 1 }));

        Assert.Contains("warm condition's process 1 of 1 measured other request shapes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_application_started_by_another_host_is_started_again_through_dotnet_with_its_dll()
    {
        // Under the test host this process is not the test assembly's apphost, so the child runs `dotnet <dll> args`.
        var assembly = typeof(ProcessMeasurementTests).Assembly;

        var start = ProcessMeasurement.StartInfoFor(assembly, ["--measure-child", "warm"]);

        Assert.Equal("dotnet", Path.GetFileNameWithoutExtension(start.FileName));
        Assert.Equal([assembly.Location, "--measure-child", "warm"], start.ArgumentList);
    }

    [Fact]
    public void StartInfoFor_an_assembly_without_a_file_starts_this_process_executable_as_native_aot_does()
    {
        // Under Native AOT (and single-file) Assembly.Location is empty: the executable itself is the application. An
        // assembly loaded from bytes has the same empty Location.
        var inMemory = System.Reflection.Assembly.Load(File.ReadAllBytes(typeof(ProcessMeasurementTests).Assembly.Location));
        Assert.Equal("", inMemory.Location);

        var start = ProcessMeasurement.StartInfoFor(inMemory, ["measure-child", "--condition", "cold"]);

        Assert.Equal(Environment.ProcessPath, start.FileName);
        Assert.Equal(["measure-child", "--condition", "cold"], start.ArgumentList);
    }

    private static ChildShapeResult Shape(double firstMs, double steadyMs, int records) =>
        new() { Signature = "serving_default", Shape = "x:DT_FLOAT[1,1]", Records = records, FirstMs = firstMs, SteadyP50Ms = steadyMs };

    private static ChildMeasurement Valid(MeasurementCondition condition) =>
        new() { Condition = condition, SessionMs = 1, Iterations = 2, SteadyRuns = 15, Shapes = [Shape(2, 1, 1)] };

    private static ProcessStartInfo Echo(ChildMeasurement answer) => Echo(answer.ToJsonLine());

    private static ProcessStartInfo Echo(string line) => Shell("printf '%s\\n' \"$0\"", line);

    private static ProcessStartInfo Shell(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("/bin/sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}
