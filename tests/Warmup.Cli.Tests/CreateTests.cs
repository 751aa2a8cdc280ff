using Warmup.Format;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Testing;
using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

public sealed class CreateTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Create_binds_symbolic_dims_and_batch_sizes_and_its_output_validates_and_replays()
    {
        var model = _cli.Model("conv.onnx", TestModels.ConvRelu(channels: 4));
        var file = _cli.PathOf("conv.warmup");

        var create = Run("create", "--model", model, "--out", file, "--batch-sizes", "1,2", "--dim", "height=8", "--dim", "width=6", "--fill", "random", "--seed", "3");

        Assert.True(create.ExitCode == 0, create.ToString());
        var records = WarmupFile.Read(file).ToArray();
        Assert.Equal(2, records.Length);
        Assert.Equal([[1L, 3, 8, 6], [2L, 3, 8, 6]], records.Select(r => TensorShapes.FromProto(r.Log.PredictLog.Request.Inputs["x"].TensorShape)));
        Assert.All(records, r => Assert.Equal("conv", r.Log.PredictLog.Request.ModelSpec.Name));
        var validate = Run("validate", file, "--model", model);
        Assert.True(validate.ExitCode == 0, validate.ToString());
        var replay = Run("run", "--model", model, "--requests", file, "--json", "--device", "cpu");
        Assert.True(replay.ExitCode == 0, replay.ToString());
        var summary = replay.Json().GetProperty("summary");
        Assert.Equal(2, summary.GetProperty("replayed").GetInt32());
        Assert.Equal(0, summary.GetProperty("failed").GetInt32());
    }

    [Fact]
    public void Create_is_deterministic_for_a_seed()
    {
        var model = _cli.Model("mm.onnx", TestModels.MatMulAdd());
        string Make(string name, string seed)
        {
            var path = _cli.PathOf(name);
            Assert.Equal(0, Run("create", "--model", model, "--out", path, "--fill", "random", "--seed", seed, "--name", "mm", "--batch-sizes", "1,4").ExitCode);
            return path;
        }

        var a = File.ReadAllBytes(Make("a", "7"));
        var b = File.ReadAllBytes(Make("b", "7"));
        var c = File.ReadAllBytes(Make("c", "8"));

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        var values = TensorProtoConverter.ToArray<float>(WarmupFile.Read(_cli.PathOf("a")).First().Log.PredictLog.Request.Inputs["x"]);
        Assert.All(values, v => Assert.InRange(v, 0f, 1f));
        Assert.True(values.Distinct().Count() > 1);
    }

    [Fact]
    public void Unbound_symbolic_dims_are_a_usage_error_naming_the_flag()
    {
        var model = _cli.Model("conv.onnx", TestModels.ConvRelu(channels: 4));

        var result = Run("create", "--model", model, "--out", _cli.PathOf("x"), "--dim", "height=8");

        AssertOneLineError(result, 2, "--dim width=<size>");
        Assert.False(File.Exists(_cli.PathOf("x")));
    }

    [Fact]
    public void Ones_fill_and_string_inputs()
    {
        var model = _cli.Model("s.onnx", TestModels.StringInput());
        var file = _cli.PathOf("s.warmup");

        Assert.Equal(0, Run("create", "--model", model, "--out", file, "--fill", "ones", "--batch-sizes", "3").ExitCode);

        var tensor = WarmupFile.Read(file).Single().Log.PredictLog.Request.Inputs["text"];
        Assert.Equal(DataType.DtString, tensor.Dtype);
        Assert.Equal(3, tensor.StringVal.Count);
        Assert.Equal(0, Run("run", "--model", model, "--requests", file, "--device", "cpu").ExitCode);
    }

    [Fact]
    public void Bad_flags_are_usage_errors()
    {
        var model = _cli.Model("h.onnx", TestModels.HalfPlusTwo());
        AssertOneLineError(Run("create", "--model", model, "--out", _cli.PathOf("x"), "--batch-sizes", "1,0"), 2, "--batch-sizes");
        AssertOneLineError(Run("create", "--model", model, "--out", _cli.PathOf("x"), "--dim", "nope=3"), 2, "--dim nope matches no dimension");
        AssertOneLineError(Run("create", "--model", model, "--out", _cli.PathOf("x"), "--fill", "twos"), 2, "twos");
        AssertOneLineError(Run("create", "--out", _cli.PathOf("x")), 2, "--model");
        AssertOneLineError(Run("create", "--model", model, "--out", _cli.PathOf("x"), "--batch-sizes", "2000000000"), 1, "above the per-record budget");
    }

    [SkippableFact]
    public void Create_from_a_tensorflow_savedmodel_validates_against_it()
    {
        Skip.If(RepoPaths.Interop is null, RepoPaths.SharedMissingMessage);
        foreach (var name in new[] { "saved_model_half_plus_two_cpu", "saved_model_half_plus_two_tf2_cpu" })
        {
            var savedModel = Path.Combine(RepoPaths.Interop!, "tfserving", name, "00000123");
            var file = _cli.PathOf(name);

            var create = Run("create", "--model", savedModel, "--out", file, "--batch-sizes", "1,8");

            Assert.True(create.ExitCode == 0, create.ToString());
            var log = WarmupFile.Read(file).First().Log;
            Assert.Equal(name, log.PredictLog.Request.ModelSpec.Name);
            Assert.Equal("serving_default", log.PredictLog.Request.ModelSpec.SignatureName);
            var validate = Run("validate", file, "--model", savedModel);
            Assert.True(validate.ExitCode == 0, validate.ToString());
        }
    }
}
