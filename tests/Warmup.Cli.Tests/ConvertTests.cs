using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Testing;
using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

public sealed class ConvertTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>Records that exercise every dtype, NaN and infinities, non-UTF-8 strings, and non-canonical encodings.</summary>
    private string Awkward()
    {
        var everyDtype = AwkwardRecords.EveryDtype();
        var unsorted = AwkwardRecords.FillRuleAndUnsortedInputs();
        var path = _cli.PathOf("awkward.tfrecord");
        File.WriteAllBytes(path, Frame(Bytes(everyDtype), Bytes(unsorted), Bytes(Classify("c", 1)), Bytes(new PredictionLog())));
        return path;
    }

    [Fact]
    public void TfRecord_to_json_and_back_is_byte_identical()
    {
        var original = Awkward();
        var json = _cli.PathOf("awkward.json");
        var back = _cli.PathOf("back.tfrecord");

        var toJson = Run("convert", original, json);
        var toTfRecord = Run("convert", json, back);

        Assert.True(toJson.ExitCode == 0, toJson.ToString());
        Assert.True(toTfRecord.ExitCode == 0, toTfRecord.ToString());
        Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(back));

        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var first = document.RootElement.GetProperty("records")[0];
        Assert.Equal(["NaN", "Infinity"], first.GetProperty("inputs").GetProperty("f").GetProperty("values").EnumerateArray().Take(2).Select(v => v.GetString()));
        Assert.Equal(ulong.MaxValue, first.GetProperty("inputs").GetProperty("u64").GetProperty("values")[0].GetUInt64());
        Assert.Equal(uint.MaxValue, first.GetProperty("inputs").GetProperty("u32").GetProperty("values")[0].GetUInt32());
        Assert.Equal(ushort.MaxValue, first.GetProperty("inputs").GetProperty("u16").GetProperty("values")[0].GetUInt16());
        Assert.Equal([0, 255], first.GetProperty("inputs").GetProperty("u8").GetProperty("values").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal([-128, 127], first.GetProperty("inputs").GetProperty("i8").GetProperty("values").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal("héllo", first.GetProperty("inputs").GetProperty("s").GetProperty("values")[0].GetString());
        Assert.Equal([0xff, 0x00, 0xc3], first.GetProperty("inputs").GetProperty("s").GetProperty("values")[1].GetProperty("base64").GetBytesFromBase64());
        Assert.Equal(4, document.RootElement.GetProperty("summary").GetProperty("records").GetInt32());
    }

    [Fact]
    public void Large_json_is_read_record_by_record_across_buffer_boundaries()
    {
        var logs = Enumerable.Range(0, 300).Select(i => Predict("m", ("x", TensorProtoConverter.FromArray(Enumerable.Range(0, 256).Select(v => v * 0.1f + i).ToArray(), 1, 256))))
            .Append(Predict("m", ("big", TensorProtoConverter.FromArray(Enumerable.Range(0, 40_000).Select(v => v / 3f).ToArray(), 40_000))))
            .ToArray();
        var original = _cli.WarmupFileOf("large", logs);
        var json = _cli.PathOf("large.json");
        Assert.Equal(0, Run("convert", original, json).ExitCode);
        Assert.True(new FileInfo(json).Length > 1 << 20);

        var back = Run("convert", json, _cli.PathOf("large-back.tfrecord"));

        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(_cli.PathOf("large-back.tfrecord")));

        // A syntax error far past the first buffer is reported at its line in the file.
        var lines = File.ReadAllLines(json);
        var target = Array.FindLastIndex(lines, l => l.Contains("\"logType\"", StringComparison.Ordinal));
        lines[target] = lines[target].Replace("\"logType\":", "\"logType\"", StringComparison.Ordinal);
        File.WriteAllLines(json, lines);
        AssertOneLineError(Run("convert", json, _cli.PathOf("broken.tfrecord")), 1, $"{json}:{target + 1}:");
        Assert.False(File.Exists(_cli.PathOf("broken.tfrecord")));
    }

    [Fact]
    public void Json_without_bytes_is_rebuilt_from_the_readable_fields_and_stale_bytes_are_refused()
    {
        var original = Awkward();
        var json = _cli.PathOf("edit.json");
        Assert.Equal(0, Run("convert", original, json).ExitCode);
        var root = JsonNode.Parse(File.ReadAllText(json))!;
        var record = root["records"]![1]!;
        record["inputs"]!["alpha"]!["values"]![0] = 5;

        File.WriteAllText(json, root.ToJsonString());
        var stale = Run("convert", json, _cli.PathOf("stale.tfrecord"));

        AssertOneLineError(stale, 1, $"{json}: record 1: the readable fields differ from \"bytes\" at \"inputs.alpha.values[0]\"");
        Assert.False(File.Exists(_cli.PathOf("stale.tfrecord")));

        record.AsObject().Remove("bytes");
        File.WriteAllText(json, root.ToJsonString());
        var rebuilt = Run("convert", json, _cli.PathOf("rebuilt.tfrecord"));

        Assert.True(rebuilt.ExitCode == 0, rebuilt.ToString());
        var log = WarmupFile.Read(_cli.PathOf("rebuilt.tfrecord")).ElementAt(1).Log;
        Assert.Equal([5f], TensorProtoConverter.ToArray<float>(log.PredictLog.Request.Inputs["alpha"]));
        Assert.Equal([7f, 7f, 7f, 7f], TensorProtoConverter.ToArray<float>(log.PredictLog.Request.Inputs["zeta"]));
        Assert.Equal(42, log.PredictLog.Request.ModelSpec.Version);
    }

    [Fact]
    public void Hand_written_json_becomes_a_valid_warmup_file()
    {
        var json = _cli.PathOf("hand.json");
        File.WriteAllText(json, """
            {"records": [
              {"logType": "predict", "model": {"name": "half_plus_two"}, "inputs": {"x": {"dtype": "DT_FLOAT", "shape": [2, 1], "values": [1, 2]}}},
              {"logType": "regress", "model": {"name": "half_plus_two", "signatureName": "regress_x_to_y"}, "examples": [{"x": {"type": "float", "values": [3]}}]}
            ]}
            """);
        var file = _cli.PathOf("hand.tfrecord");

        Assert.Equal(0, Run("convert", json, file).ExitCode);

        Assert.Equal(0, Run("validate", file).ExitCode);
        var records = WarmupFile.Read(file).ToArray();
        Assert.Equal([1f, 2f], TensorProtoConverter.ToArray<float>(records[0].Log.PredictLog.Request.Inputs["x"]));
        Assert.Equal(PredictionLog.LogTypeOneofCase.RegressLog, records[1].Log.LogTypeCase);
    }

    [Fact]
    public void Bad_json_gives_a_located_one_line_error()
    {
        var json = _cli.PathOf("bad.json");
        File.WriteAllText(json, "{\"records\": [\n  {\"logType\": \"predict\",, }\n]}");
        AssertOneLineError(Run("convert", json, _cli.PathOf("o")), 1, $"{json}:2:");

        File.WriteAllText(json, "[1, 2]");
        AssertOneLineError(Run("convert", json, _cli.PathOf("o")), 1, "expected an object with a \"records\" array");

        File.WriteAllText(json, "{\"file\": \"x\", \"summary\": {\"records\": 0}}");
        AssertOneLineError(Run("convert", json, _cli.PathOf("o")), 1, "expected an object with a \"records\" array");

        File.WriteAllText(json, "{\"records\": []} trailing");
        AssertOneLineError(Run("convert", json, _cli.PathOf("o")), 1, $"{json}:1:");

        File.WriteAllText(json, """{"records": [{"logType": "predict", "inputs": {"x": {"dtype": "DT_FLOAT", "shape": [3], "values": [1, 2, 3, 4]}}}]}""");
        AssertOneLineError(Run("convert", json, _cli.PathOf("o")), 1, $"{json}: record 0: \"inputs.x.values\"");

        File.WriteAllText(json, """{"records": [{"logType": "predict", "inputs": {"x": {"dtype": "DT_INT8", "shape": [1], "values": [300]}}}]}""");
        AssertOneLineError(Run("convert", json, _cli.PathOf("o")), 1, "\"inputs.x.values[0]\"");

        File.WriteAllText(json, """{"records": [{"logType": "none", "bytes": "////"}]}""");
        AssertOneLineError(Run("convert", json, _cli.PathOf("o")), 1, $"{json}: record 0: \"bytes\": not a valid PredictionLog");
        Assert.False(File.Exists(_cli.PathOf("o")));
    }

    [Fact]
    public void Triton_model_warmup_becomes_tf_serving_records()
    {
        var modelDir = Directory.CreateDirectory(_cli.PathOf("densenet")).FullName;
        Directory.CreateDirectory(Path.Combine(modelDir, "warmup"));
        File.WriteAllBytes(Path.Combine(modelDir, "warmup", "x.bin"), [.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2f), .. BitConverter.GetBytes(3f)]);
        File.WriteAllBytes(Path.Combine(modelDir, "warmup", "words.bin"), [2, 0, 0, 0, (byte)'h', (byte)'i', 0, 0, 0, 0]);
        File.WriteAllText(Path.Combine(modelDir, "config.pbtxt"), """
            name: "densenet"  # the model
            platform: "onnxruntime_onnx"
            max_batch_size: 8
            input [ { name: "x" data_type: TYPE_FP32 dims: [ 3 ] } ]
            model_warmup [
              {
                name: "zeros"
                batch_size: 4
                inputs { key: "x" value: { data_type: TYPE_FP32 dims: [ 3 ] zero_data: true } }
              },
              {
                name: 'from files'
                batch_size: 2
                count: 3
                inputs [
                  { key: "x" value { data_type: TYPE_FP32, dims: 3, input_data_file: "x.bin" } },
                  { key: "words" value { data_type: TYPE_STRING dims: [ 2 ] input_data_file: "words.bin" } }
                ]
              },
              { batch_size: 1 inputs { key: "x" value: { data_type: TYPE_INT64 dims: [ 2, 2 ] random_data: true } } }
            ]
            """);
        var file = _cli.PathOf("triton.tfrecord");

        var result = Run("convert", modelDir, file);

        Assert.True(result.ExitCode == 0, result.ToString());
        var records = WarmupFile.Read(file).Select(r => r.Log.PredictLog.Request).ToArray();
        Assert.Equal(5, records.Length);
        Assert.All(records, r => Assert.Equal("densenet", r.ModelSpec.Name));
        Assert.Equal([4L, 3], TensorShapes.FromProto(records[0].Inputs["x"].TensorShape));
        Assert.All(TensorProtoConverter.ToArray<float>(records[0].Inputs["x"]), v => Assert.Equal(0f, v));
        Assert.Equal([1.5f, -2f, 3f, 1.5f, -2f, 3f], TensorProtoConverter.ToArray<float>(records[1].Inputs["x"]));
        Assert.Equal(["hi", "", "hi", ""], TensorProtoConverter.ToArray<byte[]>(records[1].Inputs["words"]).Select(b => System.Text.Encoding.UTF8.GetString(b)));
        Assert.Equal(Bytes(records[1]), Bytes(records[3]));
        Assert.Equal([1L, 2, 2], TensorShapes.FromProto(records[4].Inputs["x"].TensorShape));
        Assert.All(TensorProtoConverter.ToArray<long>(records[4].Inputs["x"]), v => Assert.InRange(v, 0, 9));
        Assert.Equal(0, Run("validate", file).ExitCode);
    }

    [Fact]
    public void Triton_config_errors_name_the_line_and_column()
    {
        var config = _cli.PathOf("config.pbtxt");
        File.WriteAllText(config, "name: \"m\"\nmodel_warmup [\n  { batch_size: 1 inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [ 2 ] } } }\n]\n");
        AssertOneLineError(Run("convert", config, _cli.PathOf("o")), 1, $"{config}:3:");

        File.WriteAllText(config, "name: \"m\"\nmodel_warmup [\n  { batch_size: 1 inputs { key: \"x\" value { data_type: TYPE_FP32 dims: [ 2 }\n");
        AssertOneLineError(Run("convert", config, _cli.PathOf("o")), 1, $"{config}:3:");

        File.WriteAllText(config, "name: \"m\"\n");
        AssertOneLineError(Run("convert", config, _cli.PathOf("o")), 1, "no model_warmup");

        File.WriteAllText(config, "model_warmup { inputs { key: \"x\" value { data_type: TYPE_FP32 dims: 1 input_data_file: \"../../secret\" } } }\n");
        AssertOneLineError(Run("convert", config, _cli.PathOf("o")), 1, "outside the model's warmup/ folder");
    }
}
