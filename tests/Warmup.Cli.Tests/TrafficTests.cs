using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.ML.OnnxRuntime;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Tensors;
using Warmup.Runtime;
using Warmup.Runtime.Hosting;
using Warmup.Testing;

namespace Warmup.Cli.Tests;

/// <summary><c>warmup select</c> and <c>warmup coverage</c> on logs with known shape mixes, and the recorder → validate → replay loop.</summary>
public sealed class TrafficTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>A TF Serving request-log record: the request and log_metadata (model spec, sampling config, timestamp).</summary>
    private static PredictionLog Logged(string model, int batch, float value = 1f, string signature = "", bool specInRequest = true)
    {
        var log = CliHarness.Predict(model, ("x", TensorProtoConverter.FromArray(Enumerable.Repeat(value, batch).ToArray(), batch, 1)));
        log.PredictLog.Request.ModelSpec.SignatureName = signature;
        if (!specInRequest)
        {
            log.PredictLog.Request.ModelSpec = null;
        }

        log.LogMetadata = new LogMetadata
        {
            ModelSpec = new ModelSpec { Name = model, SignatureName = signature.Length == 0 ? "serving_default" : signature, Version = 3 },
            SamplingConfig = new SamplingConfig { SamplingRate = 0.01 },
            TimestampSecs = 1_700_000_000 + batch,
        };
        return log;
    }

    /// <summary>5 requests of shape A ([1,1]), 3 of B ([4,1]), 1 of C ([8,1]), interleaved; C comes before B's first.</summary>
    private string MixedLog(string name = "mixed.log") => _cli.WarmupFileOf(name,
        Logged("m", 1, 1), Logged("m", 8), Logged("m", 1, 2), Logged("m", 4, 1), Logged("m", 1, 3), Logged("m", 4, 2), Logged("m", 1, 4), Logged("m", 4, 3), Logged("m", 1, 5));

    [Fact]
    public void Select_keeps_the_most_requested_shapes_and_reports_the_coverage()
    {
        var log = MixedLog();
        var output = _cli.PathOf("selected");
        var result = CliHarness.Run("select", log, "--out", output, "--max-records", "2", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.Equal(2, json.GetProperty("records").GetInt32());
        Assert.Equal(9, json.GetProperty("requests").GetInt32());
        Assert.Equal(8, json.GetProperty("covered").GetInt32());
        Assert.Equal(0.889, json.GetProperty("coveredFraction").GetDouble());
        var groups = json.GetProperty("groups").EnumerateArray().ToArray();
        Assert.Equal([5, 3, 1], groups.Select(g => g.GetProperty("count").GetInt32()));
        Assert.Equal([1, 1, 0], groups.Select(g => g.GetProperty("kept").GetInt32()));
        Assert.Equal("DT_FLOAT", groups[1].GetProperty("inputs").GetProperty("x").GetProperty("dtype").GetString());
        Assert.Equal([4, 1], groups[1].GetProperty("inputs").GetProperty("x").GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));

        // One record of A (its first, value 1) and one of B (its first, value 1), in rank order.
        var records = WarmupFile.Read(output).Select(r => r.Log.PredictLog.Request.Inputs["x"]).ToArray();
        Assert.Equal([1L, 4L], records.Select(t => t.TensorShape.Dim[0].Size));
        Assert.All(records, t => Assert.All(TensorProtoConverter.ToArray<float>(t), v => Assert.Equal(1f, v)));

        // Deterministic: the same logs give the same bytes.
        var again = _cli.PathOf("selected-again");
        Assert.Equal(0, CliHarness.Run("select", log, "--out", again, "--max-records", "2").ExitCode);
        Assert.Equal(File.ReadAllBytes(output), File.ReadAllBytes(again));

        // The text report says the same on stderr.
        var text = CliHarness.Run("select", log, "--out", again, "--max-records", "2");
        Assert.Contains("they cover 8 of 9 logged request(s) (88.9%)", text.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_keeps_per_shape_records_in_order_of_appearance_and_stops_at_max_records()
    {
        var log = MixedLog();
        var output = _cli.PathOf("per-shape");
        Assert.Equal(0, CliHarness.Run("select", log, "--out", output, "--per-shape", "2").ExitCode);
        var values = WarmupFile.Read(output).Select(r => (r.Log.PredictLog.Request.Inputs["x"].TensorShape.Dim[0].Size, TensorProtoConverter.ToArray<float>(r.Log.PredictLog.Request.Inputs["x"])[0])).ToArray();
        Assert.Equal([(1L, 1f), (1L, 2f), (4L, 1f), (4L, 2f), (8L, 1f)], values);

        Assert.Equal(0, CliHarness.Run("select", log, "--out", output, "--per-shape", "3", "--max-records", "4").ExitCode);
        Assert.Equal([1L, 1L, 1L, 4L], WarmupFile.Read(output).Select(r => r.Log.PredictLog.Request.Inputs["x"].TensorShape.Dim[0].Size));
    }

    [Fact]
    public void Select_and_coverage_filter_one_model_out_of_several_tf_serving_style_logs()
    {
        // Two logs, two models; model "b"'s requests name their model only in log_metadata, as some request loggers do.
        var first = _cli.WarmupFileOf("day1.log", Logged("a", 2), Logged("b", 2, specInRequest: false), Logged("a", 2), Logged("b", 6, specInRequest: false));
        var second = _cli.WarmupFileOf("day2.log", Logged("b", 6, specInRequest: false), Logged("a", 3), Logged("b", 6, specInRequest: false));
        var output = _cli.PathOf("b.warmup");
        var model = _cli.Model("b.onnx", TestModels.HalfPlusTwo());
        var select = CliHarness.Run("select", first, second, "--out", output, "--model-name", "b", "--model", model, "--json");
        Assert.True(select.ExitCode == 0, select.ToString());
        var json = select.Json();
        Assert.Equal(4, json.GetProperty("requests").GetInt32());
        Assert.Equal(3, json.GetProperty("skipped").GetInt32());
        Assert.Equal(["b", "b"], json.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("model").GetString()));
        Assert.Equal([6L, 2L], WarmupFile.Read(output).Select(r => r.Log.PredictLog.Request.Inputs["x"].TensorShape.Dim[0].Size));
        Assert.Equal(0, CliHarness.Run("validate", output, "--model", model).ExitCode);

        // Without a filter the two models form separate groups: b [6,1] ×3, a [2,1] ×2, then the single ones by first appearance.
        var all = CliHarness.Run("select", first, second, "--out", _cli.PathOf("all.warmup"), "--json").Json();
        Assert.Equal(7, all.GetProperty("requests").GetInt32());
        Assert.Equal(["b", "a", "b", "a"], all.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("model").GetString()));

        var coverage = CliHarness.Run("coverage", output, first, second, "--model-name", "a", "--json");
        Assert.True(coverage.ExitCode == 0, coverage.ToString());
        var report = coverage.Json();
        Assert.Equal(3, report.GetProperty("requests").GetInt32());
        Assert.Equal(2, report.GetProperty("covered").GetInt32());
        var uncovered = Assert.Single(report.GetProperty("uncovered").EnumerateArray());
        Assert.Equal("a", uncovered.GetProperty("model").GetString());
        Assert.Equal([3, 1], uncovered.GetProperty("inputs").GetProperty("x").GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
    }

    [Fact]
    public void Coverage_reports_the_documented_json_and_gates_on_min_coverage()
    {
        var log = MixedLog();
        var warmup = _cli.WarmupFileOf("warmup", CliHarness.HalfPlusTwoRecord(0f), CliHarness.HalfPlusTwoRecord(0f, 0f, 0f, 0f));
        var result = CliHarness.Run("coverage", warmup, log, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            """{"requests":9,"covered":8,"coveredFraction":0.889,"uncovered":[{"model":"m","signature":"serving_default","inputs":{"x":{"dtype":"DT_FLOAT","shape":[8,1]}},"count":1}]}""",
            System.Text.Json.JsonSerializer.Serialize(result.Json()));

        Assert.Equal(0, CliHarness.Run("coverage", warmup, log, "--min-coverage", "0.85").ExitCode);
        var gated = CliHarness.Run("coverage", warmup, log, "--min-coverage", "0.9");
        CliHarness.AssertOneLineError(gated, 1, "coverage 0.889 is below --min-coverage 0.9");
        Assert.Contains("covers 8 of 9 logged request(s) (88.9%)", gated.Err, StringComparison.Ordinal);

        // Uncovered shapes are sorted by count.
        var empty = _cli.WarmupFileOf("one", CliHarness.HalfPlusTwoRecord(0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f));
        var counts = CliHarness.Run("coverage", empty, log, "--json").Json().GetProperty("uncovered").EnumerateArray().Select(u => u.GetProperty("count").GetInt32());
        Assert.Equal([5, 3], counts);
    }

    [Fact]
    public void Bad_logs_and_options_get_one_line_errors_with_record_and_offset()
    {
        var log = MixedLog();
        var corrupt = _cli.PathOf("corrupt.log");
        var bytes = File.ReadAllBytes(log);
        var second = WarmupFile.Read(log).ElementAt(1).Offset;
        bytes[second + 14] ^= 0xff; // inside record 1's data: its CRC no longer matches
        File.WriteAllBytes(corrupt, bytes);
        var warmup = _cli.WarmupFileOf("warmup", CliHarness.HalfPlusTwoRecord(0f));

        foreach (var args in new[] { new[] { "select", corrupt, "--out", _cli.PathOf("x") }, ["coverage", warmup, corrupt] })
        {
            var result = CliHarness.Run(args);
            Assert.Equal(1, result.ExitCode);
            var match = CliHarness.AssertRecordError(result, corrupt, 1);
            Assert.Equal(second.ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups[1].Value);
        }

        Assert.False(File.Exists(_cli.PathOf("x")));

        var empty = _cli.PathOf("empty.log");
        File.WriteAllBytes(empty, []);
        foreach (var args in new[] { new[] { "select", empty, "--out", _cli.PathOf("x") }, ["coverage", warmup, empty] })
        {
            var result = CliHarness.Run(args);
            Assert.Equal(1, result.ExitCode);
            Assert.Equal(0, int.Parse(CliHarness.AssertRecordError(result, empty, 0).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Contains("no records", result.Err, StringComparison.Ordinal);
        }

        CliHarness.AssertOneLineError(CliHarness.Run("select", log, "--out", _cli.PathOf("x"), "--max-records", "-1"), 2, "--max-records is -1; it must be 1 to 1000");
        CliHarness.AssertOneLineError(CliHarness.Run("select", log, "--out", _cli.PathOf("x"), "--max-records", "1001"), 2, "--max-records is 1001");
        CliHarness.AssertOneLineError(CliHarness.Run("select", log, "--out", _cli.PathOf("x"), "--per-shape", "0"), 2, "--per-shape is 0");
        CliHarness.AssertOneLineError(CliHarness.Run("coverage", warmup, log, "--min-coverage", "1.5"), 2, "--min-coverage is 1.5");
        CliHarness.AssertOneLineError(CliHarness.Run("select", _cli.PathOf("missing.log"), "--out", _cli.PathOf("x")), 2, "file not found");
        CliHarness.AssertOneLineError(CliHarness.Run("select", log, "--out", _cli.PathOf("x"), "--model-name", "nope"), 1, "no request for model \"nope\"");
        var wrongModel = _cli.Model("two.onnx", TestModels.TwoInputs());
        CliHarness.AssertOneLineError(CliHarness.Run("select", log, "--out", _cli.PathOf("x"), "--model", wrongModel), 1, $"{log}: record 0 at byte 0");
        Assert.False(File.Exists(_cli.PathOf("x")));
    }

    [Fact]
    public async Task A_recording_from_a_real_host_passes_validate_model_replays_and_feeds_select()
    {
        var modelPath = _cli.Model("half_plus_two/1/model.onnx", TestModels.HalfPlusTwo());
        var recording = _cli.PathOf("recording.tfrecord");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddWarmedOnnxModel("half_plus_two", o =>
        {
            o.ModelPath = modelPath;
            o.ExecutionProvider = ExecutionProvider.Cpu;
            o.Recording.Enabled = true;
            o.Recording.OutputPath = recording;
            o.Recording.Policy = WarmupRecordingPolicy.EveryNth;
            o.Recording.EveryNth = 1;
        });
        using (var host = builder.Build())
        {
            await host.StartAsync();
            var model = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("half_plus_two");
            foreach (var batch in new[] { 2, 2, 2, 5, 5, 9 })
            {
                using var x = OrtValue.CreateTensorValueFromMemory(new float[batch], [batch, 1]);
                using var outputs = model.Run(new Dictionary<string, OrtValue> { ["x"] = x });
            }

            await host.StopAsync();
        }

        var validate = CliHarness.Run("validate", recording, "--model", modelPath);
        Assert.True(validate.ExitCode == 0, validate.ToString());
        var replay = CliHarness.Run("run", "--model", modelPath, "--requests", recording, "--json");
        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Equal(6, replay.Json().GetProperty("summary").GetProperty("replayed").GetInt32());

        // The loop: select into the next version's warmup file, then gate it with coverage.
        var next = Path.Combine(_cli.Directory, "half_plus_two", "2", TfServing.RelativeWarmupPath);
        Assert.Equal(0, CliHarness.Run("select", recording, "--out", next, "--model", modelPath).ExitCode);
        Assert.Equal(3, WarmupFile.Read(next).Count());
        var gate = CliHarness.Run("coverage", Path.Combine(_cli.Directory, "half_plus_two", "2"), recording, "--min-coverage", "1", "--json");
        Assert.True(gate.ExitCode == 0, gate.ToString());
        Assert.Equal(1.0, gate.Json().GetProperty("coveredFraction").GetDouble());
    }
}
