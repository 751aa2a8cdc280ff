using System.Diagnostics;
using System.Text;
using Google.Protobuf;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Testing;
using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

/// <summary>Issue 12's defects, each through the real CLI: special files, FIFOs, links, budgets, located errors, options, signals.</summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static string Sh(string command)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output.Trim() : throw new InvalidOperationException($"{command}: {output}");
    }

    private string Fifo(string name)
    {
        var path = _cli.PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            Sh($"mkfifo '{path}'");
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Skip.If(true, $"cannot create a FIFO here ({ex.Message})");
        }

        return path;
    }

    private string CharDevice(string name)
    {
        var path = _cli.PathOf(name);
        try
        {
            Sh($"mknod '{path}' c 1 3"); // the null device's numbers
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Skip.If(true, $"cannot create a device node here (needs root: {ex.Message})");
        }

        return path;
    }

    private static string TypeOf(string path) => Sh($"stat -c %F '{path}'");

    /// <summary>Runs in-process and fails (instead of hanging) when the command does not finish within 30 s.</summary>
    private static CliResult RunBounded(params string[] args)
    {
        var task = Task.Run(() => Run(args));
        Assert.True(task.Wait(TimeSpan.FromSeconds(30)), $"warmup {string.Join(' ', args)} hung");
        return task.Result;
    }

    private string HalfPlusTwo() => _cli.Model("half_plus_two.onnx", TestModels.HalfPlusTwo());

    private static PredictionLog FillRule(long size, int inputs) =>
        Predict("half_plus_two", Enumerable.Range(0, inputs)
            .Select(i => (i == 0 ? "x" : $"x{i}", new TensorProto { Dtype = DataType.DtFloat, TensorShape = TensorShapes.ToProto([size, 1]), FloatVal = { 1f } }))
            .ToArray());

    // ---- 1. outputs never replace special files ---------------------------------------------------------------------

    [SkippableFact]
    public void Outputs_refuse_to_replace_fifos_devices_and_links_to_them()
    {
        var model = HalfPlusTwo();
        var source = _cli.WarmupFileOf("in", HalfPlusTwoRecord(1));
        var fifo = Fifo("out.fifo");
        var device = CharDevice("null.dev");
        var linkToDevice = _cli.PathOf("link");
        File.CreateSymbolicLink(linkToDevice, device);

        foreach (var target in new[] { fifo, device, linkToDevice })
        {
            AssertOneLineError(RunBounded("create", "--model", model, "--out", target), 2, "refusing to replace it");
            AssertOneLineError(RunBounded("convert", source, target), 2, "refusing to replace it");
            AssertOneLineError(RunBounded("convert", source, target, "--to", "json"), 2, "refusing to replace it");
        }

        Assert.Equal("fifo", TypeOf(fifo));
        Assert.Equal("character special file", TypeOf(device));
        Assert.Equal("symbolic link", TypeOf(linkToDevice));
        Assert.Empty(Directory.GetFiles(_cli.Directory, "*.tmp"));
    }

    [Fact]
    public void A_link_to_a_regular_file_is_kept_and_its_target_replaced()
    {
        var model = HalfPlusTwo();
        var target = _cli.PathOf("real_file");
        File.WriteAllText(target, "old");
        var link = _cli.PathOf("link_out");
        File.CreateSymbolicLink(link, target);

        var result = RunBounded("create", "--model", model, "--out", link);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Single(WarmupFile.Read(target));
        var dangling = _cli.PathOf("dangling");
        File.CreateSymbolicLink(dangling, _cli.PathOf("nowhere"));
        AssertOneLineError(RunBounded("create", "--model", model, "--out", dangling), 2, "does not exist; refusing to write through it");
    }

    [Fact]
    public void Out_dash_writes_the_warmup_file_to_standard_output()
    {
        var model = HalfPlusTwo();
        var (code, stdout, err) = Tool(["create", "--model", model, "--out", "-", "--batch-sizes", "1,4"]);

        Assert.True(code == 0, err);
        var records = WarmupFile.Read(new MemoryStream(stdout)).ToList();
        Assert.Equal(2, records.Count);
        Assert.Contains("standard output: wrote 2 record(s)", err, StringComparison.Ordinal);
    }

    // ---- 2. FIFOs and devices never hang a command ------------------------------------------------------------------

    [SkippableFact]
    public void Fifos_and_devices_are_refused_as_inputs_of_every_command()
    {
        var model = HalfPlusTwo();
        var warmup = _cli.WarmupFileOf("ok", HalfPlusTwoRecord(1));
        var fifoModel = Fifo("fifo_model.onnx");
        var savedModel = _cli.PathOf("saved");
        Fifo("saved/saved_model.pb");
        var fifoFile = Fifo("requests.fifo");
        var fifoJson = Fifo("records.json");

        AssertOneLineError(RunBounded("validate", warmup, "--model", fifoModel), 2, "FIFO");
        AssertOneLineError(RunBounded("validate", warmup, "--model", savedModel), 2, "FIFO");
        AssertOneLineError(RunBounded("create", "--model", fifoModel, "--out", _cli.PathOf("a")), 2, "FIFO");
        AssertOneLineError(RunBounded("create", "--model", savedModel, "--out", _cli.PathOf("b")), 2, "FIFO");
        AssertOneLineError(RunBounded("run", "--model", fifoModel, "--requests", warmup), 2, "FIFO");
        AssertOneLineError(RunBounded("measure", "--model", fifoModel, "--requests", warmup), 2, "FIFO");
        AssertOneLineError(RunBounded("inspect", fifoFile), 2, "FIFO");
        AssertOneLineError(RunBounded("validate", fifoFile), 2, "FIFO");
        AssertOneLineError(RunBounded("convert", fifoFile, _cli.PathOf("c.json")), 2, "FIFO");
        AssertOneLineError(RunBounded("convert", fifoJson, _cli.PathOf("d")), 2, "FIFO");
        AssertOneLineError(RunBounded("run", "--model", model, "--requests", fifoFile), 2, "FIFO");
        AssertOneLineError(RunBounded("inspect", "/dev/zero"), 2, "character device");

        var triton = Directory.CreateDirectory(_cli.PathOf("triton_fifo")).FullName;
        Fifo("triton_fifo/config.pbtxt");
        AssertOneLineError(RunBounded("convert", Path.Combine(triton, "config.pbtxt"), _cli.PathOf("e")), 2, "FIFO");
        var dataModel = TritonModel("triton_data", "input_data_file: \"x.bin\"", batch: false);
        Fifo("triton_data/warmup/x.bin");
        AssertOneLineError(RunBounded("convert", dataModel, _cli.PathOf("f")), 1, "FIFO");
    }

    // ---- 3 and 4. budgets, checked before anything is allocated -----------------------------------------------------

    [Fact]
    public void Replay_refuses_a_fill_rule_record_that_claims_gigabytes_and_validate_warns()
    {
        var model = HalfPlusTwo();
        var file = _cli.WarmupFileOf("fill", FillRule(268435456, 4));
        Assert.True(new FileInfo(file).Length < 200);

        var before = GC.GetTotalAllocatedBytes(precise: false);
        var run = RunBounded("run", "--model", model, "--requests", file);
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - before;

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("above the per-record budget of 256 MiB", run.Err, StringComparison.Ordinal);
        Assert.Contains(file, run.Err, StringComparison.Ordinal);
        Assert.True(allocated < 256L << 20, $"run allocated {allocated} bytes");

        var validate = RunBounded("validate", file);
        Assert.Contains("warning: ", validate.Err, StringComparison.Ordinal);
        Assert.Contains("expand to 4 GiB in memory, above the per-record budget", validate.Err, StringComparison.Ordinal);

        var raised = RunBounded("run", "--model", model, "--requests", _cli.WarmupFileOf("small", FillRule(1000, 1)), "--max-record-mib", "1");
        Assert.True(raised.ExitCode == 0, raised.ToString());
    }

    [Fact]
    public void Create_counts_strings_at_their_real_cost_and_checks_the_budget_first()
    {
        var strings = _cli.Model("strings.onnx", new OnnxModelBuilder("strings")
            .Input("text", OnnxElementType.String, "batch", 100000000)
            .Node("Identity", ["text"], ["out"])
            .Output("out", OnnxElementType.String, "batch", 100000000));
        var before = GC.GetTotalAllocatedBytes(precise: false);
        var result = RunBounded("create", "--model", strings, "--out", _cli.PathOf("s"));
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - before;

        AssertOneLineError(result, 1, strings);
        Assert.Contains("above the per-record budget", result.Err, StringComparison.Ordinal);
        Assert.True(allocated < 64L << 20, $"create allocated {allocated} bytes");

        // 20M empty strings: a few bytes on disk, about 2 GB in memory; above the 1 GiB tensor limit.
        var tensor = new TensorProto { Dtype = DataType.DtString, TensorShape = TensorShapes.ToProto([20_000_000]) };
        var error = Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.Validate(tensor, "input \"text\""));
        Assert.Contains("above the limit", error.Message, StringComparison.Ordinal);
    }

    // ---- 5. Triton import stays inside warmup/ ----------------------------------------------------------------------

    private string TritonModel(string name, string data, bool batch = true, string extra = "", string dims = "1")
    {
        var directory = Directory.CreateDirectory(_cli.PathOf(name)).FullName;
        Directory.CreateDirectory(Path.Combine(directory, "warmup"));
        File.WriteAllText(Path.Combine(directory, "config.pbtxt"), $$"""
            name: "{{name}}"
            max_batch_size: {{(batch ? 8 : 0)}}
            model_warmup {
              name: "s"
              {{(batch ? "batch_size: 1" : "")}}
              {{extra}}
              inputs { key: "x" value { data_type: TYPE_FP32 dims: [ {{dims}} ] {{data}} } }
            }
            """);
        return directory;
    }

    [Fact]
    public void Triton_input_data_files_must_really_lie_in_the_models_warmup_folder()
    {
        var secret = _cli.PathOf("secret.bin");
        File.WriteAllBytes(secret, new byte[4]);
        var linked = TritonModel("linked", "input_data_file: \"x.bin\"");
        File.CreateSymbolicLink(Path.Combine(linked, "warmup", "x.bin"), secret);
        AssertOneLineError(RunBounded("convert", linked, _cli.PathOf("o1")), 1, "outside the model's warmup/ folder");

        var outside = Directory.CreateDirectory(_cli.PathOf("elsewhere")).FullName;
        File.WriteAllBytes(Path.Combine(outside, "x.bin"), new byte[4]);
        var linkedFolder = TritonModel("linked_folder", "input_data_file: \"x.bin\"");
        Directory.Delete(Path.Combine(linkedFolder, "warmup"));
        Directory.CreateSymbolicLink(Path.Combine(linkedFolder, "warmup"), outside);
        AssertOneLineError(RunBounded("convert", linkedFolder, _cli.PathOf("o2")), 1, "warmup/ folder is a link");

        var zero = TritonModel("zero_link", "input_data_file: \"x.bin\"");
        File.CreateSymbolicLink(Path.Combine(zero, "warmup", "x.bin"), "/dev/zero");
        AssertOneLineError(RunBounded("convert", zero, _cli.PathOf("o3")), 1, "outside the model's warmup/ folder");

        var ok = TritonModel("ok", "input_data_file: \"x.bin\"");
        File.WriteAllBytes(Path.Combine(ok, "warmup", "x.bin"), BitConverter.GetBytes(1.5f));
        Assert.Equal(0, RunBounded("convert", ok, _cli.PathOf("o4")).ExitCode);
        Assert.False(File.Exists(_cli.PathOf("o1")) || File.Exists(_cli.PathOf("o2")) || File.Exists(_cli.PathOf("o3")));
    }

    [Fact]
    public void Triton_count_and_shapes_are_bounded_before_expansion()
    {
        var huge = TritonModel("huge_count", "zero_data: true", extra: "count: 1000000000");
        var config = Path.Combine(huge, "config.pbtxt");
        var result = RunBounded("convert", huge, _cli.PathOf("h"));
        AssertOneLineError(result, 1, $"{config}:");
        Assert.Contains("more than 1000 records", result.Err, StringComparison.Ordinal);

        var many = TritonModel("many", "zero_data: true", extra: "count: 3000000");
        AssertOneLineError(RunBounded("convert", many, _cli.PathOf("m")), 1, "more than 1000 records");
        var allowed = TritonModel("allowed", "zero_data: true", extra: "count: 1500");
        var ok = RunBounded("convert", allowed, _cli.PathOf("a"), "--max-records", "2000");
        Assert.True(ok.ExitCode == 0, ok.ToString());

        var big = TritonModel("big_dims", "zero_data: true", dims: "268435456");
        var bigResult = RunBounded("convert", big, _cli.PathOf("b"));
        AssertOneLineError(bigResult, 1, Path.Combine(big, "config.pbtxt"));
        Assert.Contains("per-record budget", bigResult.Err, StringComparison.Ordinal);
    }

    // ---- 6. JSON keeps the fill rule compact; "bytes" is bounded -----------------------------------------------------

    [Fact]
    public void Json_keeps_a_fill_rule_record_compact_and_round_trips_it()
    {
        var file = _cli.WarmupFileOf("fill", FillRule(268435456, 1));
        var json = _cli.PathOf("fill.json");
        var back = _cli.PathOf("back");

        Assert.Equal(0, RunBounded("convert", file, json).ExitCode);
        Assert.True(new FileInfo(json).Length < 4096, $"{new FileInfo(json).Length} bytes of JSON");
        // 1 GiB expanded: above the default budget, so converting back needs the budget raised.
        AssertOneLineError(RunBounded("convert", json, back), 1, "above the per-record budget of 256 MiB");
        var converted = RunBounded("convert", json, back, "--max-record-mib", "2048");
        Assert.True(converted.ExitCode == 0, converted.ToString());
        Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(back));

        // Rebuilt from the readable fields (no "bytes"): the fill rule stays a fill rule.
        var text = File.ReadAllText(json);
        var withoutBytes = System.Text.RegularExpressions.Regex.Replace(text, ",\\s*\"bytes\": \"[^\"]*\"", "");
        File.WriteAllText(json, withoutBytes);
        Assert.Equal(0, RunBounded("convert", json, back, "--max-record-mib", "2048").ExitCode);
        Assert.True(new FileInfo(back).Length < 200);
    }

    [Fact]
    public void Json_bytes_are_decoded_only_within_the_budget()
    {
        var payload = Convert.ToBase64String(new byte[3 << 20]);
        var json = _cli.PathOf("big.json");
        File.WriteAllText(json, $$"""{"records":[{"logType":"predict","bytes":"{{payload}}"}]}""");
        var result = RunBounded("convert", json, _cli.PathOf("o"), "--max-record-mib", "1");
        AssertOneLineError(result, 1, $"{json}: record 0: \"bytes\" holds about 3 MiB, above the per-record budget of 1 MiB");
    }

    // ---- 7. located errors instead of "unexpected failure" ----------------------------------------------------------

    [Theory]
    [InlineData("""{"records":[{"logType":"predict","inputs":{"x":{"dtype":"DT_FLOAT","shape":["1"],"values":[1]}}}]}""", "\"inputs.x.shape\"")]
    [InlineData("""{"records":[{"logType":"predict","inputs":{"x":{"dtype":"DT_FLOAT","shape":[null],"values":[1]}}}]}""", "\"inputs.x.shape\"")]
    [InlineData("""{"records":[{"logType":"predict","model":{"name":"m","signatureName":"","version":"abc"},"inputs":{}}]}""", "\"model.version\"")]
    [InlineData("""{"records":[{"logType":"predict","inputs":{"x":{"dtype":"DT_FLOAT","shape":[1],"values":[1]},"x":{"dtype":"DT_FLOAT","shape":[1],"values":[1]}}}]}""", "given twice")]
    [InlineData("""{"records":[{"logType":"classify","examples":[7]}]}""", "\"examples[0]\"")]
    [InlineData("""{"records":[{"logType":"multiInference","tasks":[1],"examples":[]}]}""", "\"tasks[0]\"")]
    [InlineData("""{"records":[{"logType":"predict","inputs":{"x":{"dtype":"DT_STRING","shape":[1],"values":["\uDFFF"]}}}]}""", "record 0")]
    public void Malformed_json_records_get_a_located_error(string text, string expected)
    {
        var json = _cli.PathOf("bad.json");
        File.WriteAllText(json, text);
        var result = RunBounded("convert", json, _cli.PathOf("o"));
        AssertOneLineError(result, 1, $"{json}: record 0: ");
        Assert.Contains(expected, result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected failure", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_json_duplicate_onnx_inputs_and_an_empty_name_get_clear_errors()
    {
        var json = _cli.PathOf("utf8.json");
        var bytes = Encoding.UTF8.GetBytes("""{"records":[{"logType":"predict","inputs":{"x":{"dtype":"DT_STRING","shape":[1],"values":["ab"]}}}]}""");
        bytes[Array.IndexOf(bytes, (byte)'a')] = 0xFF;
        File.WriteAllBytes(json, bytes);
        var utf8 = RunBounded("convert", json, _cli.PathOf("o"));
        AssertOneLineError(utf8, 1, json);
        Assert.DoesNotContain("unexpected failure", utf8.Err, StringComparison.Ordinal);

        var duplicate = _cli.Model("dup.onnx", new OnnxModelBuilder("dup")
            .Input("x", OnnxElementType.Float, 1).Input("x", OnnxElementType.Float, 1)
            .Node("Identity", ["x"], ["y"]).Output("y", OnnxElementType.Float, 1));
        var warmup = _cli.WarmupFileOf("w", HalfPlusTwoRecord(1));
        AssertOneLineError(RunBounded("validate", warmup, "--model", duplicate), 1, $"{duplicate}: graph input 'x' is declared twice");

        AssertOneLineError(RunBounded("create", "--model", HalfPlusTwo(), "--out", _cli.PathOf("n"), "--name", ""), 2, "--name");
    }

    // ---- 8. option ranges are usage errors before any work ----------------------------------------------------------

    [Theory]
    [InlineData("run", "--threads", "2147483647")]
    [InlineData("run", "--iterations", "-1")]
    [InlineData("measure", "--repeat", "2147483647")]
    [InlineData("measure", "--iterations", "-1")]
    [InlineData("inspect", "--values", "2147483647")]
    [InlineData("validate", "--max-record-mib", "0")]
    public void Out_of_range_options_are_usage_errors(string command, string option, string value)
    {
        var model = HalfPlusTwo();
        var warmup = _cli.WarmupFileOf("w", HalfPlusTwoRecord(1));
        string[] args = command switch
        {
            "run" or "measure" => [command, "--model", model, "--requests", warmup, option, value],
            _ => [command, warmup, option, value],
        };
        var result = RunBounded(args);
        AssertOneLineError(result, 2, $"{option} must be between");
        Assert.Empty(result.Out);
    }

    [Fact]
    public void Zero_iterations_stays_a_dry_run()
    {
        var result = RunBounded("run", "--model", HalfPlusTwo(), "--requests", _cli.WarmupFileOf("w", HalfPlusTwoRecord(1)), "--iterations", "0");
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    // ---- 9. validate --model is linear and its messages are capped --------------------------------------------------

    [Fact]
    public void Validate_against_a_model_with_100k_inputs_is_linear_and_lists_are_capped()
    {
        const int Inputs = 100_000;
        var builder = new OnnxModelBuilder("wide");
        for (var i = 0; i < Inputs; i++)
        {
            builder.Input($"in{i}", OnnxElementType.Float, 1);
        }

        var model = _cli.Model("wide.onnx", builder.Node("Identity", ["in0"], ["y"]).Output("y", OnnxElementType.Float, 1));
        var inputs = Enumerable.Range(0, Inputs / 2).Select(i => ($"in{i * 2}", TensorProtoConverter.FromArray([1f], 1)))
            .Append(("unknown", TensorProtoConverter.FromArray([1f], 1))).ToArray();
        var warmup = _cli.WarmupFileOf("wide", Predict("wide", inputs));

        var watch = Stopwatch.StartNew();
        var result = RunBounded("validate", warmup, "--model", model);
        watch.Stop();

        Assert.Equal(1, result.ExitCode);
        Assert.True(result.Err.Length < 20_000, $"{result.Err.Length} characters of stderr");
        Assert.Contains("and 99990 more", result.Err, StringComparison.Ordinal);
        Assert.Contains("lacks 49990 more model inputs", result.Err, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(25), $"took {watch.Elapsed}"); // quadratic took > 120 s; linear takes about a second
    }

    // ---- 10. signals: temp files removed, one line, exit 130 -------------------------------------------------------

    [Fact]
    public void Sigint_during_convert_removes_the_temp_file_and_exits_130()
    {
        var big = _cli.PathOf("big");
        var values = Enumerable.Range(0, 65536).Select(i => (float)i).ToArray();
        WarmupFile.Write(big, Enumerable.Range(0, 400).Select(_ => Predict("m", ("x", TensorProtoConverter.FromArray(values, values.Length)))));
        var output = _cli.PathOf("out.json");

        var (code, _, err) = Tool(["convert", big, output], process =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Directory.GetFiles(_cli.Directory, ".out.json.*.tmp").Length == 0 && !process.HasExited && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }

            Sh($"kill -INT {process.Id}");
        });

        Assert.True(code == 130, err);
        Assert.Equal(Interruption.Message, err.Trim());
        Assert.Empty(Directory.GetFiles(_cli.Directory, "*.tmp"));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Sigint_during_run_prints_one_line_and_exits_130()
    {
        // A conv at 128×128 runs for milliseconds, so a million iterations last hours even on a fast idle machine (a
        // half_plus_two replay of that count was over before the signal came).
        var model = _cli.Model("conv.onnx", TestModels.ConvRelu(channels: 16));
        var warmup = _cli.WarmupFileOf("w", Predict("conv", ("x", TensorProtoConverter.FromArray(new float[3 * 128 * 128], 1, 3, 128, 128))));
        var (code, _, err) = Tool(["run", "--model", model, "--requests", warmup, "--iterations", "1000000"], process =>
        {
            // Long enough for the tool to have started and registered its handler, even on a loaded machine.
            Thread.Sleep(5000);
            Assert.False(process.HasExited, "the replay ended before the signal: it must outlast the wait");
            Sh($"kill -INT {process.Id}");
        });

        Assert.True(code == 130, err);
        Assert.Equal(Interruption.Message, err.Trim());
    }

    // ---- 11. stderr hygiene -----------------------------------------------------------------------------------------

    [Fact]
    public void Control_characters_from_a_model_are_escaped_on_stderr()
    {
        var forged = "x\u001b[31m\nerror: fake line";
        var model = _cli.Model("forged.onnx", new OnnxModelBuilder("forged")
            .Input(forged, OnnxElementType.Float, 1).Node("Identity", [forged], ["y"]).Output("y", OnnxElementType.Float, 1));
        var result = RunBounded("validate", _cli.WarmupFileOf("w", HalfPlusTwoRecord(1)), "--model", model);

        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain('\u001b', result.Err);
        Assert.DoesNotContain(result.ErrLines, l => l.StartsWith("error: fake line", StringComparison.Ordinal));
        Assert.Contains("x\\x1B[31m\\nerror: fake line", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Onnx_runtime_log_lines_go_through_our_messages_and_a_file_error_is_printed_once()
    {
        // An unused initializer makes ONNX Runtime log a warning while it loads the model.
        var model = _cli.Model("unused.onnx", TestModels.HalfPlusTwo().Initializer("unused", [1f, 2f], 2));
        var tooMany = _cli.WarmupFileOf("many", Enumerable.Range(0, 1001).Select(i => HalfPlusTwoRecord(i)).ToArray());

        var (code, _, err) = Tool(["run", "--model", model, "--requests", tooMany]);

        Assert.Equal(1, code);
        Assert.DoesNotContain("[W:onnxruntime", err, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', err);
        Assert.Contains("warning: onnxruntime: ", err, StringComparison.Ordinal);
        Assert.Single(err.Split('\n'), l => l.Contains("exceeds the maximum", StringComparison.Ordinal));
    }

    // ---- 12. every error names its file -----------------------------------------------------------------------------

    [Fact]
    public void Shape_dtype_and_zero_data_errors_name_their_file()
    {
        var model = HalfPlusTwo();
        var shape = RunBounded("create", "--model", model, "--out", _cli.PathOf("o"), "--batch-sizes", "4611686018427387904");
        AssertOneLineError(shape, 1, model);

        var dtype = _cli.Model("complex.onnx", new OnnxModelBuilder("c").Input("x", OnnxElementType.Float, 1).Node("Identity", ["x"], ["y"]).Output("y", OnnxElementType.Float, 1));
        var record = Predict("c", ("x", new TensorProto { Dtype = DataType.DtComplex64, TensorShape = TensorShapes.ToProto([1]) }));
        var file = _cli.WarmupFileOf("complex", record);
        var run = RunBounded("run", "--model", dtype, "--requests", file);
        Assert.Contains($"error: {file}: record 0", run.Err, StringComparison.Ordinal);

        var zero = TritonModel("zero", "zero_data: true", dims: "4611686018427387904");
        AssertOneLineError(RunBounded("convert", zero, _cli.PathOf("z")), 1, Path.Combine(zero, "config.pbtxt"));
    }
}
