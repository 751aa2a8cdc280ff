using System.Buffers.Binary;
using Google.Protobuf;
using Warmup.Cli.Triton;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

/// <summary><c>warmup convert &lt;file&gt; &lt;model dir&gt; --to triton</c>, checked by reading the result back with the Triton import.</summary>
public sealed class TritonExportTests : IDisposable
{
    private const string Config = """
        name: "ranker"
        platform: "onnxruntime_onnx"   # kept as written
        max_batch_size: 4
        input [ { name: "x" data_type: TYPE_FP32 dims: [ 2 ] } ]
        model_warmup [ { name: "old" batch_size: 1 inputs { key: "x" value { data_type: TYPE_FP32 dims: [ 2 ] input_data_file: "old.bin" } } } ]
        instance_group [ { kind: KIND_CPU count: 1 } ]
        """;

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>Every dtype Triton takes, one record each, batches of 3 tiled from one row as [WarmupSample(BatchSizes)] writes them.</summary>
    private static List<PredictionLog> EveryDTypeTiled()
    {
        var random = new SplitMix64(7);
        var logs = new List<PredictionLog>();
        foreach (var dataType in TritonWarmup.DataTypes.Values)
        {
            TensorProto tensor;
            if (dataType == DataType.DtString)
            {
                byte[][] row = [[], [0xff, 0x00, (byte)'a'], "héllo"u8.ToArray()];
                tensor = TensorProtoConverter.FromStrings([.. row, .. row, .. row], 3, 3);
            }
            else
            {
                var row = TensorProtoConverter.ToRawBytes(TensorFill.Create(dataType, [1, 3], TensorFill.Random, random, "row"));
                var tiled = new TensorProto { Dtype = dataType, TensorShape = TensorShapes.ToProto([3, 3]), TensorContent = ByteString.CopyFrom([.. row, .. row, .. row]) };
                tensor = TensorProtoConverter.FromTensorData(TensorProtoConverter.ToTensorData(tiled));
            }

            logs.Add(Record(("x", tensor), ("y_" + dataType, TensorProtoConverter.FromArray([1f, 2f, 3f, 1f, 2f, 3f, 1f, 2f, 3f], 3, 3))));
        }

        return logs;
    }

    private static PredictionLog Record(params (string Name, TensorProto Tensor)[] inputs)
    {
        var log = Predict("ranker", inputs);
        log.PredictLog.Request.ModelSpec.SignatureName = TfServing.DefaultSignatureName;
        return log;
    }

    [Fact]
    public void Export_merges_into_config_pbtxt_and_the_triton_import_gives_back_every_record_of_every_dtype()
    {
        var originals = EveryDTypeTiled();
        var file = _cli.WarmupFileOf("ranker.tfrecord", [.. originals]);
        var modelDir = Directory.CreateDirectory(_cli.PathOf("ranker")).FullName;
        File.WriteAllText(Path.Combine(modelDir, "config.pbtxt"), Config);
        Directory.CreateDirectory(Path.Combine(modelDir, "warmup"));
        File.WriteAllBytes(Path.Combine(modelDir, "warmup", "old.bin"), new byte[8]);
        File.WriteAllBytes(Path.Combine(modelDir, "warmup", "mine.bin"), [1, 2, 3]);

        var result = Run("convert", file, modelDir, "--to", "triton");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"merged model_warmup with {originals.Count} sample(s) (max_batch_size 4), replacing 1 earlier one(s)", result.Err, StringComparison.Ordinal);
        var config = File.ReadAllText(Path.Combine(modelDir, "config.pbtxt"));
        // The rest of the file is kept as written; only the old section (and the data file only it named) is gone.
        Assert.StartsWith("""
            name: "ranker"
            platform: "onnxruntime_onnx"   # kept as written
            max_batch_size: 4
            input [ { name: "x" data_type: TYPE_FP32 dims: [ 2 ] } ]
            instance_group [ { kind: KIND_CPU count: 1 } ]
            """, config, StringComparison.Ordinal);
        Assert.DoesNotContain("\"old\"", config, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(modelDir, "warmup", "old.bin")));
        Assert.True(File.Exists(Path.Combine(modelDir, "warmup", "mine.bin")));
        Assert.Equal(originals.Count, config.Split("batch_size: 3").Length - 1);

        // Each data file holds exactly one batch item of the record's tensor: repeated batch_size times, the tensor's bytes.
        for (var i = 0; i < originals.Count; i++)
        {
            var tensor = TensorProtoConverter.ToTensorData(originals[i].PredictLog.Request.Inputs["x"]);
            var data = File.ReadAllBytes(Path.Combine(modelDir, "warmup", $"{i:D4}_x"));
            var expected = tensor.Values is byte[][] strings ? LengthPrefixed(strings) : TensorProtoConverter.ToRawBytes(tensor);
            Assert.Equal(expected, (byte[])[.. data, .. data, .. data]);
        }

        var back = _cli.PathOf("back.tfrecord");
        var import = Run("convert", modelDir, back);
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Equal(originals.Select(Bytes), WarmupFile.Read(back).Select(r => Bytes(r.Log)));
    }

    [Fact]
    public void Without_a_config_a_non_batching_export_writes_a_fragment_that_reads_back_equal()
    {
        // Rows differ: exact only for a model that does not batch (the whole tensor is the one item).
        var originals = new List<PredictionLog>
        {
            // Inputs in ordinal order of name, as the generator adds them and the export writes them.
            Record(("ids", TensorProtoConverter.FromArray([5L, 6L], 2)), ("x", TensorProtoConverter.FromArray([1f, 2f, 3f, 4f], 2, 2))),
            Record(("ids", TensorProtoConverter.FromArray([7L], 1)), ("x", TensorProtoConverter.FromArray([9f], 1, 1))),
            Record(("scalar", TensorProtoConverter.FromArray([0.5], [])), ("words", TensorProtoConverter.FromStrings(["a", "bc"], 2))),
        };
        var file = _cli.WarmupFileOf("w.tfrecord", [.. originals]);
        var modelDir = _cli.PathOf("ranker");

        var result = Run("convert", file, modelDir, "--to", "triton");

        Assert.True(result.ExitCode == 0, result.ToString());
        var fragment = Path.Combine(modelDir, TritonExport.FragmentFileName);
        Assert.False(File.Exists(Path.Combine(modelDir, "config.pbtxt")));
        Assert.Contains("dims: [ 2, 2 ]", File.ReadAllText(fragment), StringComparison.Ordinal);
        Assert.Equal([5, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0], File.ReadAllBytes(Path.Combine(modelDir, "warmup", "0000_ids")));
        Assert.Equal([1, 0, 0, 0, (byte)'a', 2, 0, 0, 0, (byte)'b', (byte)'c'], File.ReadAllBytes(Path.Combine(modelDir, "warmup", "0002_words")));

        var back = _cli.PathOf("back.tfrecord");
        var import = Run("convert", fragment, back, "--name", "ranker");
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Equal(originals.Select(Bytes), WarmupFile.Read(back).Select(r => Bytes(r.Log)));
    }

    [Fact]
    public void What_triton_cannot_hold_is_one_clear_error_and_nothing_is_written()
    {
        var modelDir = Directory.CreateDirectory(_cli.PathOf("m")).FullName;
        var differing = _cli.WarmupFileOf("d.tfrecord", Record(("x", TensorProtoConverter.FromArray([1f, 2f], 2, 1))));
        AssertOneLineError(Run("convert", differing, modelDir, "--to", "triton", "--max-batch-size", "8"), 1,
            $"{differing}: record 0 at byte 0: input \"x\": row 1 of 2 differs from row 0");

        var tooBig = _cli.WarmupFileOf("b.tfrecord", Record(("x", TensorProtoConverter.FromArray([1f, 1f, 1f], 3, 1))));
        AssertOneLineError(Run("convert", tooBig, modelDir, "--to", "triton", "--max-batch-size", "2"), 1, "batch 3 (dimension 0 of [3,1]) is outside Triton's 1..max_batch_size (2)");

        var classify = _cli.WarmupFileOf("c.tfrecord", Classify("serving_default", 1f));
        AssertOneLineError(Run("convert", classify, modelDir, "--to", "triton"), 1, "a classify record; Triton's model_warmup holds input tensors");
        Assert.Empty(Directory.GetFileSystemEntries(modelDir));

        File.WriteAllText(Path.Combine(modelDir, "config.pbtxt"), Config);
        AssertOneLineError(Run("convert", tooBig, modelDir, "--to", "triton", "--max-batch-size", "8"), 2, "--max-batch-size 8 contradicts max_batch_size: 4");
        Assert.Equal(Config, File.ReadAllText(Path.Combine(modelDir, "config.pbtxt")));
        AssertOneLineError(Run("convert", tooBig, _cli.PathOf("o.json"), "--max-batch-size", "8"), 2, "--max-batch-size applies to --to triton");
    }

    [Fact]
    public void Only_top_level_model_warmup_fields_are_cut_whatever_their_syntax()
    {
        const string text = "name: \"m\"\n  model_warmup { name: \"a } [\" }  ,\nparameters { key: \"model_warmup\" value { string_value: \"{\" } }\nmodel_warmup: [{batch_size: 1}] # gone\nmax_batch_size: 2\n";
        TextFormatParser.Parse(text, "t");
        var spans = TritonExport.TopLevelFieldSpans(text, "model_warmup");
        var kept = text[..spans[0].Start] + text[spans[0].End..spans[1].Start] + text[spans[1].End..];
        Assert.Equal("name: \"m\"\nparameters { key: \"model_warmup\" value { string_value: \"{\" } }\nmax_batch_size: 2\n", kept);
    }

    private static byte[] LengthPrefixed(byte[][] strings) =>
        [.. strings.SelectMany(s => { var length = new byte[4]; BinaryPrimitives.WriteInt32LittleEndian(length, s.Length); return length.Concat(s); })];
}
