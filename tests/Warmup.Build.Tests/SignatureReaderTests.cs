using Warmup.Format.Protos.Onnx;
using Warmup.Format.Signatures;
using Warmup.Format.Tensors;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

public sealed class SignatureReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("warmup-sig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Onnx_inputs_exclude_initializers_and_keep_symbolic_and_fixed_dims()
    {
        var path = TestModels.ConvRelu().Save(Path.Combine(_dir, "conv_relu.onnx"));

        var file = ModelSignatureReader.Read(path, "conv", "models/conv_relu.onnx").File;

        Assert.Equal("onnx", file.Format);
        Assert.Equal("conv", file.ModelName);
        var signature = Assert.Single(file.Signatures);
        Assert.Equal(("serving_default", "predict"), (signature.Key, signature.Method));
        var input = Assert.Single(signature.Inputs);
        Assert.Equal(("x", "DT_FLOAT", "x"), (input.Name, input.DType, input.TensorName));
        Assert.Equal([SignatureDimension.Symbolic("batch"), SignatureDimension.Fixed(3), SignatureDimension.Symbolic("height"), SignatureDimension.Symbolic("width")], input.Shape);
        Assert.Equal("y", Assert.Single(signature.Outputs).Name);
        Assert.Equal(
            "warmup-signature 1\nmodel conv\nsource models/conv_relu.onnx\nformat onnx\nsignature serving_default predict\n" +
            "input x DT_FLOAT [batch,3,height,width] x\noutput y DT_FLOAT [batch,16,height,width] y\n",
            SignatureText.Write(file));
    }

    [Fact]
    public void Onnx_initializers_listed_as_graph_inputs_are_not_inputs()
    {
        // Older IR versions list every weight as a graph input as well.
        var model = TestModels.MatMulAdd().Build();
        foreach (var initializer in model.Graph.Initializer)
        {
            model.Graph.Input.Add(new ValueInfoProto
            {
                Name = initializer.Name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = initializer.DataType } },
            });
        }

        var path = Path.Combine(_dir, "old_ir.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));

        var inputs = Assert.Single(ModelSignatureReader.ReadOnnx(path, "m").File.Signatures).Inputs;

        Assert.Equal(["x"], inputs.Select(i => i.Name));
    }

    [Theory]
    [InlineData(OnnxElementType.Int64, "DT_INT64")]
    [InlineData(OnnxElementType.String, "DT_STRING")]
    [InlineData(OnnxElementType.Float16, "DT_HALF")]
    [InlineData(OnnxElementType.BFloat16, "DT_BFLOAT16")]
    [InlineData(OnnxElementType.Bool, "DT_BOOL")]
    [InlineData(OnnxElementType.UInt8, "DT_UINT8")]
    public void Onnx_element_types_map_through_the_dtype_table(OnnxElementType type, string expected)
    {
        var path = TestModels.Identity(type).Save(Path.Combine(_dir, "id.onnx"));

        var input = Assert.Single(Assert.Single(ModelSignatureReader.Read(path, "id").File.Signatures).Inputs);

        Assert.Equal(expected, input.DType);
        Assert.Equal([SignatureDimension.Symbolic("n")], input.Shape);
    }

    [Fact]
    public void Onnx_input_with_an_unsupported_dtype_is_a_clear_error()
    {
        var path = TestModels.Identity(OnnxElementType.Complex64).Save(Path.Combine(_dir, "complex.onnx"));

        var ex = Assert.Throws<ModelSignatureException>(() => ModelSignatureReader.Read(path, "c"));

        Assert.Equal(ModelSignatureErrorKind.UnsupportedDType, ex.Kind);
        Assert.StartsWith(path + ": input 'x'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Complex64", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_are_skipped_without_copying_them()
    {
        // A 64 MB weight: reading the signature must not allocate anything near its size.
        var big = new float[16 * 1024 * 1024];
        var path = TestModels.HalfPlusTwo().Initializer("big", big, big.Length).Save(Path.Combine(_dir, "big.onnx"));
        ModelSignatureReader.Read(path, "warm");

        var before = GC.GetAllocatedBytesForCurrentThread();
        var file = ModelSignatureReader.Read(path, "big").File;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(["x"], file.Signatures[0].Inputs.Select(i => i.Name));
        Assert.True(allocated < 4 * 1024 * 1024, $"allocated {allocated} bytes reading a 64 MB model's signature");
    }

    [Fact]
    public void Same_model_gives_the_same_signature_bytes()
    {
        var path = TestModels.TwoInputs().Save(Path.Combine(_dir, "two.onnx"));

        var first = SignatureText.Write(ModelSignatureReader.Read(path, "two", "two.onnx").File);
        var second = SignatureText.Write(ModelSignatureReader.Read(path, "two", "two.onnx").File);

        Assert.Equal(first, second);
        Assert.Contains("input a DT_FLOAT [batch,3] a\ninput b DT_FLOAT [batch,3] b\n", first, StringComparison.Ordinal);
        Assert.True(SignatureText.TryParse(first, out var parsed, out var error), error?.ToString());
        Assert.Equal(2, parsed!.Signatures[0].Inputs.Count);
    }

    [Fact]
    public void Missing_model_names_the_path()
    {
        var path = Path.Combine(_dir, "nope.onnx");

        var ex = Assert.Throws<ModelSignatureException>(() => ModelSignatureReader.Read(path, "m"));

        Assert.Equal(ModelSignatureErrorKind.NotFound, ex.Kind);
        Assert.StartsWith(path + ": ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_onnx_bytes_are_reported_as_malformed()
    {
        var path = Path.Combine(_dir, "text.onnx");
        File.WriteAllText(path, "this is not a protobuf message at all, just text\n");

        var ex = Assert.Throws<ModelSignatureException>(() => ModelSignatureReader.Read(path, "m"));

        Assert.Equal(ModelSignatureErrorKind.Malformed, ex.Kind);
        Assert.Contains("ONNX", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_file_kinds_and_directories_without_saved_model_are_unsupported()
    {
        var txt = Path.Combine(_dir, "model.txt");
        File.WriteAllText(txt, "x");
        var emptyDir = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;

        Assert.Equal(ModelSignatureErrorKind.UnsupportedFormat, Assert.Throws<ModelSignatureException>(() => ModelSignatureReader.Read(txt, "m")).Kind);
        var ex = Assert.Throws<ModelSignatureException>(() => ModelSignatureReader.Read(emptyDir, "m"));
        Assert.Equal(ModelSignatureErrorKind.UnsupportedFormat, ex.Kind);
        Assert.Contains("saved_model.pb", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_saved_model_is_reported_as_malformed()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir, "sm")).FullName;
        File.WriteAllBytes(Path.Combine(dir, "saved_model.pb"), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);

        var ex = Assert.Throws<ModelSignatureException>(() => ModelSignatureReader.Read(dir, "m"));

        Assert.Equal(ModelSignatureErrorKind.Malformed, ex.Kind);
        Assert.Contains("saved_model.pb", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Tf1_half_plus_two_signatures_match_tensorflow()
    {
        var dir = Interop("tfserving/saved_model_half_plus_two_cpu/00000123");

        var result = ModelSignatureReader.Read(dir, "half_plus_two", "half_plus_two");

        Assert.Empty(result.Warnings);
        Assert.Equal("savedmodel", result.File.Format);
        Assert.Equal(
            "warmup-signature 1\nmodel half_plus_two\nsource half_plus_two\nformat savedmodel\n" +
            "signature classify_x_to_y classify\ninput inputs DT_STRING * tf_example:0\noutput scores DT_FLOAT [-1,1] y:0\n" +
            "signature regress_x2_to_y3 regress\ninput inputs DT_FLOAT [-1,1] x2:0\noutput outputs DT_FLOAT [-1,1] y3:0\n" +
            "signature regress_x_to_y regress\ninput inputs DT_STRING * tf_example:0\noutput outputs DT_FLOAT [-1,1] y:0\n" +
            "signature regress_x_to_y2 regress\ninput inputs DT_STRING * tf_example:0\noutput outputs DT_FLOAT [-1,1] y2:0\n" +
            "signature serving_default predict\ninput x DT_FLOAT [-1,1] x:0\noutput y DT_FLOAT [-1,1] y:0\n",
            SignatureText.Write(result.File));
    }

    [SkippableFact]
    public void Tf2_half_plus_two_skips_init_op_and_reads_every_predict_signature()
    {
        var dir = Interop("tfserving/saved_model_half_plus_two_tf2_cpu/00000123");

        var file = ModelSignatureReader.Read(Path.Combine(dir, "saved_model.pb"), "hp2").File;

        Assert.Equal(
            ["classify_x2_to_y3", "classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y", "regress_x_to_y2", "serving_default"],
            file.Signatures.Select(s => s.Key));
        Assert.All(file.Signatures, s => Assert.Equal("predict", s.Method));
        var serving = file.Signatures.Single(s => s.Key == "serving_default");
        var x = Assert.Single(serving.Inputs);
        Assert.Equal(("x", "DT_FLOAT", "serving_default_x:0"), (x.Name, x.DType, x.TensorName));
        Assert.Equal([SignatureDimension.Fixed(1)], x.Shape);
        var classify = Assert.Single(file.Signatures.Single(s => s.Key == "classify_x_to_y").Inputs);
        Assert.Equal("DT_STRING", classify.DType);
        Assert.Equal([SignatureDimension.Unknown], classify.Shape);
    }

    private static string Interop(string relative)
    {
        Skip.If(RepoPaths.Interop is null, RepoPaths.SharedMissingMessage);
        var path = Path.Combine(RepoPaths.Interop!, relative);
        Skip.IfNot(Directory.Exists(path), $"{path} is absent; interop test skipped.");
        return path;
    }
}
