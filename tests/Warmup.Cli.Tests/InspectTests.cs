using System.Text.Json;
using Warmup.Format;
using Warmup.Format.Tensors;
using Warmup.Testing;
using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

public sealed class InspectTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string ThreeRecords() => _cli.WarmupFileOf("three", HalfPlusTwoRecord(1, 2, 3), HalfPlusTwoRecord(4), Classify("classify_x_to_y", 1.5f));

    [Fact]
    public void Inspect_table_has_one_line_per_record_with_offset_type_model_and_inputs()
    {
        var file = ThreeRecords();
        var offsets = WarmupFile.Read(file).Select(r => r.Offset).ToArray();

        var result = Run("inspect", file);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        var fields = lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["1", offsets[1].ToString(System.Globalization.CultureInfo.InvariantCulture)], fields[..2]);
        Assert.Equal("predict", fields[3]);
        Assert.Equal("half_plus_two", fields[4]);
        Assert.Contains("x DT_FLOAT [3,1] = 1, 2, 3", lines[1], StringComparison.Ordinal);
        Assert.Contains("classify", lines[3], StringComparison.Ordinal);
        Assert.Contains("1 example(s): x float[1] = 1.5", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_json_has_the_documented_shape()
    {
        var file = ThreeRecords();
        var records = WarmupFile.Read(file).ToArray();

        var result = Run("inspect", file, "--json", "--values", "2");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.Equal(file, json.GetProperty("file").GetString());
        Assert.Equal(3, json.GetProperty("summary").GetProperty("records").GetInt32());
        var items = json.GetProperty("records").EnumerateArray().ToArray();
        Assert.Equal(3, items.Length);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(i, items[i].GetProperty("index").GetInt64());
            Assert.Equal(records[i].Offset, items[i].GetProperty("offset").GetInt64());
            Assert.Equal(records[i].Length, items[i].GetProperty("length").GetInt32());
        }

        var first = items[0];
        Assert.Equal("predict", first.GetProperty("logType").GetString());
        Assert.Equal("half_plus_two", first.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("model").GetProperty("version").ValueKind);
        var x = first.GetProperty("inputs").GetProperty("x");
        Assert.Equal("DT_FLOAT", x.GetProperty("dtype").GetString());
        Assert.Equal([3L, 1L], x.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal([1.0, 2.0], x.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));

        var classify = items[2];
        Assert.Equal("classify", classify.GetProperty("logType").GetString());
        Assert.False(classify.TryGetProperty("inputs", out _));
        var feature = classify.GetProperty("examples")[0].GetProperty("x");
        Assert.Equal("float", feature.GetProperty("type").GetString());
        Assert.Equal(1.5, feature.GetProperty("values")[0].GetDouble());
        Assert.Equal("classify_x_to_y", classify.GetProperty("model").GetProperty("signatureName").GetString());
    }

    [Fact]
    public void Inspect_of_a_corrupt_record_prints_the_records_before_it_and_one_located_error()
    {
        var file = ThreeRecords();
        var second = WarmupFile.Read(file).ElementAt(1);
        var bytes = File.ReadAllBytes(file);
        bytes[second.Offset + 14] ^= 0x40; // inside record 1's data: its data CRC no longer matches
        File.WriteAllBytes(file, bytes);

        var result = Run("inspect", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("half_plus_two", result.Out, StringComparison.Ordinal);
        var match = AssertRecordError(result, file, 1);
        Assert.Equal(second.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups[1].Value);
    }

    [Fact]
    public void Missing_files_and_directories_are_usage_errors()
    {
        AssertOneLineError(Run("inspect", _cli.PathOf("nope")), 2, "file not found");
        AssertOneLineError(Run("inspect", _cli.Directory), 2, "is a directory");
    }

    [Fact]
    public void A_model_version_directory_is_inspected_through_its_assets_extra_file()
    {
        var version = Path.Combine(_cli.Directory, "models", "half_plus_two", "1");
        WarmupFile.Write(TfServing.GetWarmupFilePath(Path.Combine(_cli.Directory, "models"), "half_plus_two", 1), [HalfPlusTwoRecord(7)]);

        var result = Run("inspect", version, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(1, result.Json().GetProperty("summary").GetProperty("records").GetInt32());
    }

    [SkippableFact]
    public void Interop_gzip_file_is_reported_as_compressed()
    {
        Skip.If(RepoPaths.Interop is null, RepoPaths.SharedMissingMessage);
        var file = Path.Combine(RepoPaths.Interop!, "tfx", "penguin_eval.tfrecord.gz");

        var result = Run("inspect", file);

        AssertOneLineError(result, 1, file);
        Assert.Contains("compress", result.Err, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Large_shapes_filled_from_one_value_are_previewed_without_materializing_them()
    {
        // 2^28 floats (1 GiB) from a single float_val: the preview must not allocate the tensor.
        var tensor = new Warmup.Format.Protos.TensorFlow.TensorProto { Dtype = Warmup.Format.Protos.TensorFlow.DataType.DtFloat, TensorShape = TensorShapes.ToProto([1 << 14, 1 << 14]) };
        tensor.FloatVal.Add(0.25f);
        var file = _cli.WarmupFileOf("big", Predict("m", ("x", tensor)));
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var result = Run("inspect", file, "--json", "--values", "3");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64 << 20, "inspect allocated the whole tensor");
        Assert.Equal([0.25, 0.25, 0.25], result.Json().GetProperty("records")[0].GetProperty("inputs").GetProperty("x").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
    }

    [Fact]
    public void Progress_shows_only_on_a_terminal_and_never_with_json()
    {
        var file = ThreeRecords();
        string Err(bool interactive, params string[] args)
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            Assert.Equal(0, Warmup.Cli.Program.Run(args, stdout, stderr, interactive));
            return stderr.ToString();
        }

        Assert.Contains("\rvalidating record 1", Err(true, "validate", file), StringComparison.Ordinal);
        Assert.Contains("\rconverting record 1", Err(true, "convert", file, _cli.PathOf("p.json")), StringComparison.Ordinal);
        Assert.DoesNotContain("\r", Err(true, "validate", file, "--json"), StringComparison.Ordinal);
        Assert.DoesNotContain("\r", Err(false, "validate", file), StringComparison.Ordinal);
        // The table streams its own rows, so it shows no progress line between them.
        Assert.DoesNotContain("\r", Err(true, "inspect", file), StringComparison.Ordinal);
    }
}
