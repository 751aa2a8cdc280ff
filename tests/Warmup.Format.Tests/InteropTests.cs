using System.Buffers.Binary;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.TfRecord;
using Warmup.Testing;

namespace Warmup.Format.Tests;

/// <summary>Files written by TensorFlow itself (<c>../shared/interop</c>); skipped, saying so, where that folder is absent.</summary>
public class InteropTests
{
    private static string Interop(params string[] parts)
    {
        Skip.If(RepoPaths.Interop is null, RepoPaths.SharedMissingMessage);
        return Path.Combine([RepoPaths.Interop!, .. parts]);
    }

    [SkippableFact]
    public void Tfx_mnist_tfrecord_frames_and_crcs_match_tensorflow()
    {
        var path = Interop("tfx", "mnist.tfrecord");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0xF77F4A87u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(0x70003FEBu, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12 + 3187)));
        Assert.Equal(0xF77F4A87u, MaskedCrc32C.ComputeMasked(bytes.AsSpan(0, 8)));
        Assert.Equal(0x70003FEBu, MaskedCrc32C.ComputeMasked(bytes.AsSpan(12, 3187)));

        using var reader = new TfRecordReader(File.OpenRead(path), path);
        var count = 0;
        while (reader.MoveNext())
        {
            var record = reader.Current;
            Assert.Equal(count, record.Index);
            Assert.Equal(3203L * count, record.Offset);
            Assert.Equal(3187, record.Length);
            var example = Example.Parser.ParseFrom(record.Data.Span);
            var features = example.Features.Feature;
            Assert.Single(features["image_class"].Int64List.Value);
            Assert.Equal(784, features["image_floats"].FloatList.Value.Count);
            if (count == 0)
            {
                Assert.Equal(9, features["image_class"].Int64List.Value[0]);
                Assert.Equal([-0.5f, -0.5f, -0.5f], features["image_floats"].FloatList.Value.Take(3));
            }

            count++;
        }

        Assert.Equal(1000, count);
        Assert.Equal(bytes.Length, reader.Position);
    }

    [SkippableFact]
    public void Tfx_mnist_tfrecord_rewritten_by_our_writer_is_byte_identical()
    {
        var path = Interop("tfx", "mnist.tfrecord");
        var bytes = File.ReadAllBytes(path);
        using var output = new MemoryStream();
        using (var writer = new TfRecordWriter(output, leaveOpen: true))
        using (var reader = new TfRecordReader(new MemoryStream(bytes)))
        {
            while (reader.MoveNext())
            {
                writer.Write(reader.Current.Data.Span);
            }
        }

        Assert.Equal(bytes, output.ToArray());
    }

    [SkippableTheory]
    [InlineData("penguin_eval.tfrecord.gz")]
    [InlineData("tfjs_next_page.tfrecord.gz")]
    public void Gzip_tfrecords_get_a_clear_compressed_error(string name)
    {
        var path = Interop("tfx", name);
        var error = Assert.Throws<WarmupFormatException>(() => WarmupFile.Read(path).ToList());
        Assert.Equal(WarmupErrorKind.Compressed, error.Kind);
        Assert.StartsWith($"{path}: record 0 at byte 0: the file is compressed (it starts with a gzip header)", error.Message, StringComparison.Ordinal);

        var issue = Assert.Single(WarmupValidator.Validate(path).Issues);
        Assert.Equal((WarmupIssueSeverity.Error, WarmupErrorKind.Compressed), (issue.Severity, issue.Kind));
    }

    [SkippableFact]
    public void Tf1_half_plus_two_saved_model_signatures()
    {
        var graph = ServeMetaGraph(Interop("tfserving", "saved_model_half_plus_two_cpu", "00000123", "saved_model.pb"));
        var signatures = graph.SignatureDef.Where(p => TfServing.IsServingSignatureKey(p.Key)).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(["classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y", "regress_x_to_y2", "serving_default"], signatures.Keys.Order(StringComparer.Ordinal));

        AssertSignature(signatures["serving_default"], TfServing.PredictMethod, ("x", "x:0", DataType.DtFloat, [-1, 1]), ("y", "y:0", DataType.DtFloat, [-1, 1]));
        AssertSignature(signatures["classify_x_to_y"], TfServing.ClassifyMethod, ("inputs", "tf_example:0", DataType.DtString, null), ("scores", "y:0", DataType.DtFloat, null));
        AssertSignature(signatures["regress_x_to_y"], TfServing.RegressMethod, ("inputs", "tf_example:0", DataType.DtString, null), ("outputs", "y:0", DataType.DtFloat, null));
        AssertSignature(signatures["regress_x_to_y2"], TfServing.RegressMethod, ("inputs", "tf_example:0", DataType.DtString, null), ("outputs", "y2:0", DataType.DtFloat, null));
        AssertSignature(signatures["regress_x2_to_y3"], TfServing.RegressMethod, ("inputs", "x2:0", DataType.DtFloat, [-1, 1]), ("outputs", "y3:0", DataType.DtFloat, null));
    }

    [SkippableFact]
    public void Tf2_half_plus_two_saved_model_signatures()
    {
        var graph = ServeMetaGraph(Interop("tfserving", "saved_model_half_plus_two_tf2_cpu", "00000123", "saved_model.pb"));
        Assert.Contains("__saved_model_init_op", graph.SignatureDef.Keys);
        var signatures = graph.SignatureDef.Where(p => TfServing.IsServingSignatureKey(p.Key)).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(["classify_x2_to_y3", "classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y", "regress_x_to_y2", "serving_default"],
            signatures.Keys.Order(StringComparer.Ordinal));
        Assert.All(signatures.Values, s => Assert.Equal(TfServing.PredictMethod, s.MethodName));

        var serving = signatures["serving_default"];
        var x = Assert.Single(serving.Inputs);
        Assert.Equal(("x", "serving_default_x:0", DataType.DtFloat), (x.Key, x.Value.Name, x.Value.Dtype));
        Assert.Equal([1L], TensorShapesOf(x.Value));
        var y = Assert.Single(serving.Outputs);
        Assert.Equal("y", y.Key);
        Assert.Equal([1L], TensorShapesOf(y.Value));

        foreach (var (key, dtype, shape) in new (string, DataType, long)[]
                 {
                     ("classify_x_to_y", DataType.DtString, -1), ("classify_x2_to_y3", DataType.DtFloat, 1),
                     ("regress_x_to_y", DataType.DtString, -1), ("regress_x_to_y2", DataType.DtString, -1), ("regress_x2_to_y3", DataType.DtFloat, 1),
                 })
        {
            var input = Assert.Single(signatures[key].Inputs).Value;
            Assert.Equal(dtype, input.Dtype);
            Assert.Equal([shape], TensorShapesOf(input));
        }
    }

    private static MetaGraphDef ServeMetaGraph(string path)
    {
        var model = SavedModel.Parser.ParseFrom(File.ReadAllBytes(path));
        return Assert.Single(model.MetaGraphs, g => g.MetaInfoDef.Tags.Contains(TfServing.ServeTag));
    }

    private static long[] TensorShapesOf(TensorInfo info) => info.TensorShape.Dim.Select(d => d.Size).ToArray();

    private static void AssertSignature(SignatureDef signature, string method, (string Alias, string Tensor, DataType Dtype, long[]? Shape) input,
        (string Alias, string Tensor, DataType Dtype, long[]? Shape) output)
    {
        Assert.Equal(method, signature.MethodName);
        foreach (var (map, expected) in new[] { (signature.Inputs, input), (signature.Outputs, output) })
        {
            var info = Assert.Single(map, p => p.Key == expected.Alias).Value;
            Assert.Equal(expected.Tensor, info.Name);
            Assert.Equal(expected.Dtype, info.Dtype);
            if (expected.Shape is { } shape)
            {
                Assert.Equal(shape, TensorShapesOf(info));
            }
            else if (expected.Dtype == DataType.DtString)
            {
                Assert.True(info.TensorShape is null || info.TensorShape.UnknownRank, "expected unknown rank");
            }
        }
    }
}
