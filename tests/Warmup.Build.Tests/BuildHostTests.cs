extern alias host;

using host::Warmup.Build.Host;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Samples;
using Warmup.Format.Signatures;
using Warmup.Format.Tensors;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>The build host's behaviour on a manifest, with its protocol output parsed back.</summary>
public sealed class BuildHostTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("warmup-host-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Writes_each_model_in_tf_serving_layout_and_reports_unchanged_files()
    {
        var manifest = new Manifest(
            new WarmupSample("a", "A.One", "/src/A.cs", 3, () => Logs(1, 2)),
            new WarmupSample("a", "A.Two", "/src/A.cs", 9, () => Logs(4)),
            new WarmupSample("b", "B.One", "/src/B.cs", 1, () => Logs(1)));

        var (exit, events) = Run(manifest, "a/2", "b");

        Assert.Equal(Program.Success, exit);
        Assert.Equal(2, events.Count(e => e.Kind == HostEventKind.Info && e.Message.Contains("samples ran in", StringComparison.Ordinal)));
        var wrote = events.Where(e => e.Kind == HostEventKind.Wrote).ToList();
        Assert.Equal([("a", 3), ("b", 1)], wrote.Select(e => (e.Model!, e.Records)));
        var fileA = Path.Combine(_dir, "a", "2", "assets.extra", "tf_serving_warmup_requests");
        Assert.Equal(fileA, wrote[0].Path);
        Assert.Equal([1L, 2, 4], WarmupFile.Read(fileA).Select(r => r.Log.PredictLog.Request.Inputs["x"].TensorShape.Dim[0].Size));
        var bytes = File.ReadAllBytes(fileA);
        var earlier = new DateTime(2021, 5, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(fileA, earlier);

        var (again, second) = Run(manifest, "a/2", "b");

        Assert.Equal(Program.Success, again);
        Assert.Equal([HostEventKind.Unchanged, HostEventKind.Unchanged], second.Where(e => e.Kind != HostEventKind.Info).Select(e => e.Kind));
        Assert.Equal(bytes, File.ReadAllBytes(fileA));
        Assert.Equal(earlier, File.GetLastWriteTimeUtc(fileA));
    }

    [Fact]
    public void A_throwing_sample_is_WARMUPB010_naming_it_and_nothing_is_written()
    {
        var manifest = new Manifest(
            new WarmupSample("a", "Samples.Good", "/src/S.cs", 3, () => Logs(1)),
            new WarmupSample("a", "Samples.Broken", "/src/S.cs", 17, ThrowingLogs));

        var (exit, events) = Run(manifest, "a");

        Assert.Equal(Program.ErrorsReported, exit);
        var error = Assert.Single(events);
        Assert.Equal((HostEventKind.Error, "WARMUPB010", "/src/S.cs", 17), (error.Kind, error.Code, error.File, error.Line));
        Assert.Contains("'Samples.Broken'", error.Message, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: no data for batch 2", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "a", "1", "assets.extra", "tf_serving_warmup_requests")));
    }

    [Fact]
    public void More_than_1000_records_is_WARMUPB011_with_counts_per_sample()
    {
        var manifest = new Manifest(
            new WarmupSample("a", "Many", "/src/S.cs", 3, () => Logs(Enumerable.Repeat(1, 700).ToArray())),
            new WarmupSample("a", "More", "/src/S.cs", 8, () => Logs(Enumerable.Repeat(1, 5000).ToArray())));

        var (exit, events) = Run(manifest, "a");

        Assert.Equal(Program.ErrorsReported, exit);
        var error = Assert.Single(events);
        Assert.Equal("WARMUPB011", error.Code);
        Assert.Contains("Many: 700", error.Message, StringComparison.Ordinal);
        Assert.Contains("1000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exactly_1000_records_is_fine()
    {
        var manifest = new Manifest(new WarmupSample("a", "Max", null, 0, () => Logs(Enumerable.Repeat(1, 1000).ToArray())));

        var (exit, events) = Run(manifest, "a");

        Assert.Equal(Program.Success, exit);
        Assert.Equal(1000, Assert.Single(events, e => e.Kind == HostEventKind.Wrote).Records);
    }

    [Fact]
    public void A_record_tf_serving_rejects_is_WARMUPB012_naming_the_sample()
    {
        var manifest = new Manifest(
            new WarmupSample("a", "Fine", "/src/S.cs", 2, () => Logs(1)),
            new WarmupSample("a", "SessionRun", "/src/S.cs", 30, () => [new PredictionLog { SessionRunLog = new SessionRunLog() }]));

        var (exit, events) = Run(manifest, "a");

        Assert.Equal(Program.ErrorsReported, exit);
        var error = Assert.Single(events);
        Assert.Equal(("WARMUPB012", "/src/S.cs", 30), (error.Code, error.File, error.Line));
        Assert.Contains("'SessionRun'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unwritable_output_is_WARMUPB013()
    {
        var blocker = Path.Combine(_dir, "a");
        File.WriteAllText(blocker, "a file where the model folder should be");
        var manifest = new Manifest(new WarmupSample("a", "S", null, 0, () => Logs(1)));

        var (exit, events) = Run(manifest, "a");

        Assert.Equal(Program.ErrorsReported, exit);
        Assert.Equal("WARMUPB013", Assert.Single(events).Code);
    }

    [Fact]
    public void Model_without_samples_warns_WARMUPB016_and_removes_its_stale_file()
    {
        var stale = Path.Combine(_dir, "a", "1", "assets.extra", "tf_serving_warmup_requests");
        Directory.CreateDirectory(Path.GetDirectoryName(stale)!);
        File.WriteAllBytes(stale, [1, 2, 3]);
        var manifest = new Manifest(new WarmupSample("b", "B", null, 0, () => Logs(1)));

        var (exit, events) = Run(manifest, "a", "b");

        Assert.Equal(Program.Success, exit);
        Assert.Contains(events, e => e is { Kind: HostEventKind.Warning, Code: "WARMUPB016" });
        Assert.False(File.Exists(stale));
    }

    [Fact]
    public void Samples_of_an_undeclared_model_warn_WARMUPB017()
    {
        var manifest = new Manifest(new WarmupSample("typo", "T", null, 0, () => Logs(1)), new WarmupSample("a", "A", null, 0, () => Logs(1)));

        var (_, events) = Run(manifest, "a");

        var warning = Assert.Single(events, e => e.Kind == HostEventKind.Warning);
        Assert.Equal("WARMUPB017", warning.Code);
        Assert.Contains("'typo'", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assembly_without_manifest_warns_WARMUPB018()
    {
        var (exit, events) = Run(null, "a");

        Assert.Equal(Program.Success, exit);
        Assert.Equal(["WARMUPB018"], events.Select(e => e.Code));
    }

    [Fact]
    public void Records_are_checked_against_the_signature_file_with_validates_wording_as_WARMUPB021()
    {
        var fits = Signature("a", "input x DT_FLOAT [batch,1] x");
        var narrow = Signature("a", "input x DT_FLOAT [batch,2] x");
        var manifest = new Manifest(
            new WarmupSample("a", "A.One", "/src/A.cs", 3, () => Logs(1, 2)),
            new WarmupSample("a", "A.Two", "/src/A.cs", 9, () => Logs(4)));

        var (exit, events) = Run(manifest, "--model", "a", "--signature", fits);
        Assert.Equal(Program.Success, exit);
        Assert.Equal(3, Assert.Single(events, e => e.Kind == HostEventKind.Wrote).Records);

        var file = Path.Combine(_dir, "a", "1", "assets.extra", "tf_serving_warmup_requests");
        var before = File.ReadAllBytes(file);
        (exit, events) = Run(manifest, "--model", "a", "--signature", narrow);

        Assert.Equal(Program.ErrorsReported, exit);
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal((HostEventKind.Error, "WARMUPB021"), (e.Kind, e.Code)));
        var last = events[^1];
        Assert.Equal(("/src/A.cs", 9), (last.File, last.Line));
        var finding = SignatureChecker.Check(Logs(4).Single(), SignatureText.TryParse(File.ReadAllText(narrow), out var parsed, out _) ? parsed! : null!).Single();
        Assert.Equal($"warmup sample 'A.Two' of model 'a' produced a record that does not fit the model's signature: record 2: {finding.Message}", last.Message);
        Assert.Contains("where the model takes 2", finding.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(file));
    }

    [Fact]
    public void A_signature_file_that_does_not_parse_is_WARMUPB021_at_its_line()
    {
        var broken = Path.Combine(_dir, "a.warmup-signature");
        File.WriteAllText(broken, "warmup-signature 1\nmodel a\nsignature serving_default predict\ninput x DT_FLOAT [1 x\n");

        var (exit, events) = Run(new Manifest(new WarmupSample("a", "A", null, 0, () => Logs(1))), "--model", "a", "--signature", broken);

        Assert.Equal(Program.ErrorsReported, exit);
        var error = Assert.Single(events);
        Assert.Equal(("WARMUPB021", broken, 4), (error.Code, error.File, error.Line));
        Assert.Contains("signature file of model 'a' is invalid", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--assembly", "a.dll", "--out", "o", "--model", "m/7", "--model", "n" }, true)]
    [InlineData(new[] { "--assembly", "a.dll" }, false)]
    [InlineData(new[] { "--assembly", "a.dll", "--out", "o", "--model", "m/x" }, false)]
    [InlineData(new[] { "--assembly", "a.dll", "--out", "o", "--bogus", "1" }, false)]
    [InlineData(new[] { "--assembly", "a.dll", "--out", "o", "--model-file", "m.onnx" }, false)]
    [InlineData(new[] { "--assembly", "a.dll", "--out", "o", "--model", "m/7", "--model-file", "m.onnx", "--model-file", "n.onnx" }, false)]
    [InlineData(new[] { "--assembly", "a.dll", "--out", "o", "--signature", "m.warmup-signature", "--model", "m/7" }, false)]
    [InlineData(new[] { "--assembly", "a.dll", "--out", "o", "--model", "m/7", "--signature", "s", "--signature", "t" }, false)]
    public void Command_line_is_parsed_strictly(string[] args, bool valid)
    {
        Assert.Equal(valid, HostOptions.TryParse(args, out var options, out _));
        if (valid)
        {
            Assert.Equal([new HostModel("m", 7), new HostModel("n", 1)], options!.Models);
        }
    }

    [Fact]
    public void A_model_file_belongs_to_the_model_before_it()
    {
        Assert.True(HostOptions.TryParse(["--assembly", "a.dll", "--out", "o", "--model", "m/7", "--model-file", "/x/m.onnx", "--model", "d"], out var options, out _));

        Assert.Equal([new HostModel("m", 7, "/x/m.onnx"), new HostModel("d", 1)], options!.Models);
    }

    [Theory]
    [InlineData(new[] { "--signature", "m.onnx", "m", "models/m.onnx", "obj/m.warmup-signature" }, true)]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "--signature", "m.onnx", "m", "models/m.onnx" }, false)]
    [InlineData(new[] { "--bogus", "m.onnx", "m", "models/m.onnx", "obj/m.warmup-signature" }, false)]
    public void Signatures_command_line_is_parsed_strictly(string[] args, bool valid)
    {
        Assert.Equal(valid, SignatureCommand.TryParse(args, out var requests));
        Assert.Equal(valid && args.Length > 0 ? 1 : 0, requests.Count);
    }

    [Fact]
    public void A_signature_file_belongs_to_the_model_before_it()
    {
        Assert.True(HostOptions.TryParse(["--assembly", "a.dll", "--out", "o", "--model", "m/7", "--signature", "m.sig", "--model", "n"], out var options, out _));
        Assert.Equal([new HostModel("m", 7, SignatureFile: "m.sig"), new HostModel("n", 1)], options!.Models);
    }

    private string Signature(string model, string input)
    {
        var path = Path.Combine(_dir, $"{model}.{Directory.GetFiles(_dir, "*.warmup-signature").Length}.warmup-signature");
        File.WriteAllText(path, $"warmup-signature 1\nmodel {model}\nformat onnx\nsignature serving_default predict\n{input}\noutput y DT_FLOAT [batch,1] y\n");
        return path;
    }

    // Models as "name[/version]", or the host's own arguments when the first one starts with "--".
    private (int Exit, List<HostEvent> Events) Run(IWarmupManifest? manifest, params string[] models)
    {
        var args = new List<string> { "--assembly", "App.dll", "--out", _dir };
        if (models is [['-', '-', ..], ..])
        {
            args.AddRange(models);
        }
        else
        {
            foreach (var model in models)
            {
                args.AddRange(["--model", model]);
            }
        }

        Assert.True(HostOptions.TryParse(args, out var options, out var usage), usage);
        using var output = new StringWriter();
        var exit = new HostRunner(output).Execute(manifest, options!);
        var events = new List<HostEvent>();
        foreach (var line in output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.True(HostProtocol.TryParse(line.TrimEnd('\r'), out var hostEvent), $"not a protocol line: {line}");
            events.Add(hostEvent!);
        }

        return (exit, events);
    }

    private static IEnumerable<PredictionLog> Logs(params int[] batchSizes)
    {
        foreach (var batch in batchSizes)
        {
            var request = new PredictRequest { ModelSpec = new ModelSpec { Name = "m" } };
            request.Inputs["x"] = TensorProtoConverter.FromArray(new float[batch], [batch, 1]);
            yield return new PredictionLog { PredictLog = new PredictLog { Request = request } };
        }
    }

    private static IEnumerable<PredictionLog> ThrowingLogs()
    {
        yield return Logs(1).Single();
        throw new InvalidOperationException("no data for batch 2");
    }

    [Fact]
    public void WARMUPB010_points_at_the_users_frame_never_at_generated_code()
    {
        var manifest = new Manifest(
            new WarmupSample("a", "Samples.User", "/src/S.cs", 3, GeneratedCode.CallUser),
            new WarmupSample("b", "Samples.Checked", "/src/S.cs", 9, GeneratedCode.RejectTensor));

        var (_, events) = Run(manifest, "a", "b");

        var user = Assert.Single(events, e => e.Model is null && e.Message.Contains("'Samples.User'", StringComparison.Ordinal));
        Assert.Contains("(at Warmup.Build.Tests.BuildHostTests.UserLoad in ", user.Message, StringComparison.Ordinal);
        Assert.Contains("BuildHostTests.cs:line ", user.Message, StringComparison.Ordinal);
        // Only generated code threw (a tensor its check rejected): no frame; the error is located at the sample.
        var generated = Assert.Single(events, e => e.Model is null && e.Message.Contains("'Samples.Checked'", StringComparison.Ordinal));
        Assert.Equal(("/src/S.cs", 9), (generated.File, generated.Line));
        Assert.DoesNotContain("(at ", generated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_samples_is_told_the_inputs_types_generated_for_it()
    {
        var manifest = new Manifest(new WarmupSample("b", "B.One", "/src/B.cs", 1, () => Logs(1)));

        var (_, events) = Run(manifest, "generated_names_model", "b");

        var warning = Assert.Single(events, e => e.Code == "WARMUPB016");
        Assert.Contains("Generated for it: Warmup.Build.Tests.BuildHostTests.GeneratedModel: ServingDefaultInputs (serving_default: X float[,], Label string[])",
            warning.Message, StringComparison.Ordinal);
    }

    /// <summary>Shaped like the generator's output for a model: the class's WarmupModelName, an inputs type per signature.</summary>
    public static class GeneratedModel
    {
        public const string WarmupModelName = "generated_names_model";

        public sealed class ServingDefaultInputs
        {
            public const string SignatureName = "serving_default";

            public float[,]? X { get; init; }

            public string[]? Label { get; init; }
        }
    }

    private static IEnumerable<PredictionLog> UserLoad() => throw new FileNotFoundException("samples.csv is missing");

    /// <summary>Stands for the generator's output (Warmup.Tensors.g.cs, CreateWarmupLogs): marked [GeneratedCode] as it is.</summary>
    [System.CodeDom.Compiler.GeneratedCode("Warmup.Generator", "0.1.0")]
    private static class GeneratedCode
    {
        public static IEnumerable<PredictionLog> CallUser() => UserLoad().ToList();

        public static IEnumerable<PredictionLog> RejectTensor() => throw new ArgumentException("input 'x' has shape [1,2] where the model takes [-1,1]");
    }

    private sealed class Manifest(params WarmupSample[] samples) : IWarmupManifest
    {
        public IReadOnlyList<WarmupSample> Samples { get; } = samples;
    }
}
