using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Warmup.Build.Tasks;
using Warmup.Format.Tensors;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

public sealed class ReadWarmupSignaturesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("warmup-readsig-").FullName;
    private readonly MockBuildEngine _engine = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Writes_the_signature_file_and_leaves_it_alone_when_nothing_changed()
    {
        var model = TestModels.HalfPlusTwo().Save(Path.Combine(_dir, "models", "half_plus_two.onnx"));
        var signature = Path.Combine(_dir, "obj", "warmup", "half_plus_two.warmup-signature");

        var first = Run(Item(model, "half_plus_two", signature, source: "models/half_plus_two.onnx"));
        Assert.True(first.Execute(), _engine.Describe());
        Assert.True(first.Changed);
        Assert.Equal(signature, Assert.Single(first.SignatureFiles).ItemSpec);
        Assert.Equal(
            "warmup-signature 1\nmodel half_plus_two\nsource models/half_plus_two.onnx\nformat onnx\nsignature serving_default predict\n" +
            "input x DT_FLOAT [batch,1] x\noutput y DT_FLOAT [batch,1] y\n",
            File.ReadAllText(signature));
        var stamp = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(signature, stamp);

        var second = Run(Item(model, "half_plus_two", signature, source: "models/half_plus_two.onnx"));
        Assert.True(second.Execute(), _engine.Describe());

        Assert.False(second.Changed);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(signature));
    }

    [Fact]
    public void A_changed_model_rewrites_the_signature()
    {
        var model = TestModels.MatMulAdd(4, 3).Save(Path.Combine(_dir, "m.onnx"));
        var signature = Path.Combine(_dir, "m.warmup-signature");
        Assert.True(Run(Item(model, "m", signature)).Execute());

        TestModels.MatMulAdd(8, 3).Save(model);
        var task = Run(Item(model, "m", signature));
        Assert.True(task.Execute(), _engine.Describe());

        Assert.True(task.Changed);
        Assert.Contains("input x DT_FLOAT [batch,8] x", File.ReadAllText(signature), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_model_is_WARMUPB001_naming_the_path()
    {
        var path = Path.Combine(_dir, "missing.onnx");

        var task = Run(Item(path, "m", Path.Combine(_dir, "m.warmup-signature")));

        Assert.False(task.Execute());
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("WARMUPB001", path), (error.Code, error.File));
        Assert.Contains("WarmupModel 'm'", error.Message, StringComparison.Ordinal);
        Assert.Empty(task.SignatureFiles);
    }

    [Fact]
    public void Non_model_file_is_WARMUPB003()
    {
        var path = Path.Combine(_dir, "notes.onnx");
        File.WriteAllText(path, "not a model, only some words that are not protobuf\n");

        Assert.False(Run(Item(path, "m", Path.Combine(_dir, "m.warmup-signature"))).Execute());

        Assert.Equal("WARMUPB003", Assert.Single(_engine.Errors).Code);
    }

    [Fact]
    public void Unsupported_input_dtype_is_WARMUPB004()
    {
        var path = TestModels.Identity(OnnxElementType.Complex128).Save(Path.Combine(_dir, "c.onnx"));

        Assert.False(Run(Item(path, "c", Path.Combine(_dir, "c.warmup-signature"))).Execute());

        Assert.Equal("WARMUPB004", Assert.Single(_engine.Errors).Code);
    }

    [Theory]
    [InlineData("a/b", "1")]
    [InlineData("..", "1")]
    [InlineData("ok", "0")]
    [InlineData("ok", "v2")]
    public void Invalid_name_or_version_is_WARMUPB007(string name, string version)
    {
        var model = TestModels.HalfPlusTwo().Save(Path.Combine(_dir, "h.onnx"));
        var item = Item(model, name, Path.Combine(_dir, "h.warmup-signature"));
        item.SetMetadata("ModelVersion", version);

        Assert.False(Run(item).Execute());

        Assert.Equal("WARMUPB007", Assert.Single(_engine.Errors).Code);
    }

    [Fact]
    public void One_bad_model_does_not_stop_the_others()
    {
        var good = TestModels.HalfPlusTwo().Save(Path.Combine(_dir, "good.onnx"));
        var task = Run(
            Item(Path.Combine(_dir, "bad.onnx"), "bad", Path.Combine(_dir, "bad.warmup-signature")),
            Item(good, "good", Path.Combine(_dir, "good.warmup-signature")));

        Assert.False(task.Execute());

        Assert.Equal(["good"], task.SignatureFiles.Select(f => f.GetMetadata("ModelName")));
        Assert.True(File.Exists(Path.Combine(_dir, "good.warmup-signature")));
    }

    [SkippableFact]
    public void SavedModel_directory_gives_its_serve_signatures()
    {
        Skip.If(RepoPaths.Interop is null, RepoPaths.SharedMissingMessage);
        var model = Path.Combine(RepoPaths.Interop!, "tfserving", "saved_model_half_plus_two_cpu", "00000123");
        var signature = Path.Combine(_dir, "hp.warmup-signature");

        Assert.True(Run(Item(model, "hp", signature)).Execute(), _engine.Describe());

        var text = File.ReadAllText(signature);
        Assert.Contains("format savedmodel\n", text, StringComparison.Ordinal);
        Assert.Contains("signature serving_default predict\ninput x DT_FLOAT [-1,1] x:0\n", text, StringComparison.Ordinal);
    }

    private ReadWarmupSignatures Run(params ITaskItem[] models) => new() { BuildEngine = _engine, Models = models, HostAssembly = BuiltHost.Assembly };

    private static TaskItem Item(string path, string name, string signatureFile, string? source = null)
    {
        var item = new TaskItem(path);
        item.SetMetadata("ModelName", name);
        item.SetMetadata("ModelVersion", "1");
        item.SetMetadata("SignatureFile", signatureFile);
        if (source is not null)
        {
            item.SetMetadata("Source", source);
        }

        return item;
    }
}
