using System.IO.Compression;
using Warmup.Format;
using Warmup.Format.Tensors;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>
/// The product as users get it: packed, restored from a feed into a fresh project, built, rebuilt, cleaned, packed and
/// consumed by a host project. Each test works in its own temp folder.
/// </summary>
public sealed class EndToEndLibraryTests
{
    private const string GoodSamples = """
        [WarmupSample(BatchSizes = new[] { 1, 4 })]
        public static ServingDefaultInputs Single => new() { X = new float[,] { { 1f } } };

        [WarmupSample]
        public static ServingDefaultInputs Pair => new() { X = new float[,] { { 2f }, { 3f } } };
    """;

    [Fact]
    public async Task Build_writes_the_warmup_file_incrementally_and_pack_ships_it_to_a_host()
    {
        var consumer = await Consumer.CreateAsync("net10.0", "Library", GoodSamples);
        Assert.True(File.Exists(Path.Combine(consumer.Product.Feed, $"Warmup.Runtime.{consumer.Product.Version}.nupkg")), "Warmup.Runtime did not pack");

        // 1. Build: the warmup file in TF Serving's layout, with the model beside it.
        var build = await consumer.RunAsync("build");
        Assert.True(build.ExitCode == 0, build.Output);
        Assert.True(File.Exists(consumer.WarmupFile), build.Output);
        Assert.True(File.Exists(Path.Combine(consumer.OutputDirectory, "models", "half_plus_two", "1", "half_plus_two.onnx")));
        var records = WarmupFile.Read(consumer.WarmupFile).ToList();
        Assert.Equal([(1L, 1L), (4L, 1L), (2L, 1L)], records.Select(r => Shape(r.Log)));
        Assert.All(records, r => Assert.Equal("half_plus_two", r.Log.PredictLog.Request.ModelSpec.Name));
        Assert.Equal([2f, 3f], Warmup.Format.Tensors.TensorProtoConverter.ToTensorData(records[2].Log.PredictLog.Request.Inputs["x"], "x").Values.Cast<float>());
        var bytes = File.ReadAllBytes(consumer.WarmupFile);
        var writtenAt = File.GetLastWriteTimeUtc(consumer.WarmupFile);

        // 2. A no-op build skips the emit and leaves the file (and its timestamp) alone.
        var again = await consumer.RunAsync("build", "-v:n");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("Skipping target \"_WarmupEmitCore\"", again.Output, StringComparison.Ordinal);
        Assert.Contains("Skipping target \"_WarmupWriteSignaturesCore\"", again.Output, StringComparison.Ordinal);
        Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(consumer.WarmupFile));

        // 3. Clean removes the artifacts; a rebuild gives identical bytes.
        var clean = await consumer.RunAsync("clean");
        Assert.True(clean.ExitCode == 0, clean.Output);
        Assert.False(File.Exists(consumer.WarmupFile), "clean left the warmup file behind");
        var rebuild = await consumer.RunAsync("build");
        Assert.True(rebuild.ExitCode == 0, rebuild.Output);
        Assert.Equal(bytes, File.ReadAllBytes(consumer.WarmupFile));

        // 4. Pack ships the artifacts and a buildTransitive props; a host referencing the package gets them in its output.
        var packages = Path.Combine(consumer.Root, "local-packages");
        var pack = await consumer.RunAsync("pack", "-c", "Debug", "--no-build", "-o", packages);
        Assert.True(pack.ExitCode == 0, pack.Output);
        var nupkg = Path.Combine(packages, $"ModelProject.{consumer.Unique}.1.0.0.nupkg");
        using (var archive = ZipFile.OpenRead(nupkg))
        {
            var entries = archive.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("warmup/models/half_plus_two/1/assets.extra/tf_serving_warmup_requests", entries);
            Assert.Contains("warmup/models/half_plus_two/1/half_plus_two.onnx", entries);
            Assert.Contains($"buildTransitive/ModelProject.{consumer.Unique}.props", entries);
        }

        var host = await consumer.RunInAsync("HostProject", "build");
        Assert.True(host.ExitCode == 0, host.Output);
        var hostCopy = Path.Combine(consumer.Root, "HostProject", "bin", "Debug", "net10.0", "models", "half_plus_two", "1", "assets.extra", "tf_serving_warmup_requests");
        Assert.Equal(bytes, File.ReadAllBytes(hostCopy));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(hostCopy))!, "half_plus_two.onnx")));
    }

    private static (long, long) Shape(Warmup.Format.Protos.Serving.PredictionLog log)
    {
        var dims = log.PredictLog.Request.Inputs["x"].TensorShape.Dim;
        return (dims[0].Size, dims[1].Size);
    }
}

/// <summary>
/// Build failures as users see them, in an executable net8.0 model project (its own runtimeconfig; the host rolls
/// forward when only a newer runtime is installed).
/// </summary>
public sealed class EndToEndFailureTests
{
    [Fact]
    public async Task Generator_errors_and_throwing_samples_fail_the_build_with_their_codes()
    {
        // A literal that contradicts the signature: the generator reports it at compile time.
        var consumer = await Consumer.CreateAsync("net8.0", "Exe", """
            [WarmupSample]
            public static ServingDefaultInputs Wide => new() { X = new float[,] { { 1f, 2f } } };
        """);

        var compile = await consumer.RunAsync("build");

        Assert.NotEqual(0, compile.ExitCode);
        Assert.Contains("error WARMUP0008", compile.Output, StringComparison.Ordinal);
        Assert.Contains("Samples.cs", compile.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(consumer.WarmupFile));

        // A sample that compiles but throws when the build host runs it: WARMUPB010 naming the sample, at its source.
        consumer.SetSamples("""
            [WarmupSample]
            public static ServingDefaultInputs Fine => new() { X = new float[,] { { 1f } } };

            [WarmupSample]
            public static ServingDefaultInputs Broken => Load();

            private static ServingDefaultInputs Load() => throw new System.IO.FileNotFoundException("samples.csv is missing");
        """);

        var run = await consumer.RunAsync("build");

        Assert.NotEqual(0, run.ExitCode);
        var error = run.Output.Split('\n').FirstOrDefault(l => l.Contains("error WARMUPB010", StringComparison.Ordinal));
        Assert.True(error is not null, run.Output);
        Assert.Contains("Broken", error, StringComparison.Ordinal);
        Assert.Contains("FileNotFoundException", error, StringComparison.Ordinal);
        Assert.Contains("samples.csv is missing", error, StringComparison.Ordinal);
        Assert.Contains("Samples.cs(", error, StringComparison.Ordinal);
        Assert.False(File.Exists(consumer.WarmupFile));

        // Fixed: the executable's own runtimeconfig runs the host and the file appears.
        consumer.SetSamples("""
            [WarmupSample]
            public static ServingDefaultInputs Fine => new() { X = new float[,] { { 1f } } };
        """);
        var fixedBuild = await consumer.RunAsync("build");
        Assert.True(fixedBuild.ExitCode == 0, fixedBuild.Output);
        Assert.Single(WarmupFile.Read(consumer.WarmupFile));

        // Publish carries the artifacts at the same relative path.
        var publish = await consumer.RunAsync("publish", "-c", "Debug", "-o", Path.Combine(consumer.Root, "published"));
        Assert.True(publish.ExitCode == 0, publish.Output);
        Assert.Equal(File.ReadAllBytes(consumer.WarmupFile),
            File.ReadAllBytes(Path.Combine(consumer.Root, "published", "models", "half_plus_two", "1", "assets.extra", "tf_serving_warmup_requests")));
    }

    [Fact]
    // The generated code checks a record's inputs together (Format's rule, one size per symbolic dimension) when the
    // sample runs, so this reaches WARMUPB010 before the host's whole-record check (WARMUPB021, BuildHostTests).
    public async Task A_record_that_breaks_the_signature_as_a_whole_fails_the_build_at_the_sample()
    {
        // Two inputs share the symbolic dimension "batch": the generator checks each literal against its own input's
        // shape, and only the record as a whole shows that they disagree. The build host checks every record against the
        // signature file, as `warmup validate --model` and the replay do.
        var consumer = await Consumer.CreateAsync("net10.0", "Library", """
            [WarmupSample]
            public static ServingDefaultInputs Mismatched => new() { A = new float[,] { { 1f }, { 2f } }, B = new float[,] { { 3f } } };
        """);
        new OnnxModelBuilder("pair")
            .Input("a", OnnxElementType.Float, "batch", 1)
            .Input("b", OnnxElementType.Float, "batch", 1)
            .Node("Add", ["a", "b"], ["y"])
            .Output("y", OnnxElementType.Float, "batch", 1)
            .Save(Path.Combine(consumer.ProjectDirectory, "models", "half_plus_two.onnx"));

        var build = await consumer.RunAsync("build");

        Assert.NotEqual(0, build.ExitCode);
        var error = build.Output.Split('\n').FirstOrDefault(l => l.Contains("error WARMUPB010", StringComparison.Ordinal));
        Assert.True(error is not null, build.Output);
        Assert.Contains("Samples.cs(", error, StringComparison.Ordinal);
        Assert.Contains("Mismatched' of model 'half_plus_two' threw System.InvalidOperationException: Input \"b\" of signature \"serving_default\" " +
            "of model \"half_plus_two\" has shape [1,1]: size 1 for dimension \"batch\", which is 2 in input \"a\" (model input \"b\" is [batch,1]). " +
            "Write the sample with the model's shape.", error, StringComparison.Ordinal);
        Assert.False(File.Exists(consumer.WarmupFile));

        consumer.SetSamples("""
            [WarmupSample]
            public static ServingDefaultInputs Matched => new() { A = new float[,] { { 1f }, { 2f } }, B = new float[,] { { 3f }, { 4f } } };
        """);
        var fixedBuild = await consumer.RunAsync("build");
        Assert.True(fixedBuild.ExitCode == 0, fixedBuild.Output);
        Assert.Single(WarmupFile.Read(consumer.WarmupFile));
    }
}
