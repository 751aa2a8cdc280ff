using CsCheck;
using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

/// <summary>
/// Hostile option values and hostile JSON / Triton text: whatever the input, the tool ends (no hang) with exit 0, 1 or 2,
/// at most one kind of error line (<c>error: …</c>, never "unexpected failure" or a stack trace), and allocates within
/// a bound set by the budget (--max-record-mib 4), not by what the input claims.
/// </summary>
public sealed class HostilePropertyTests : IDisposable
{
    private const long AllocationBound = 256L << 20;
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static Gen<string> Of(params string[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static void AssertContained(string[] args)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var task = Task.Run(() => (Result: Run(args), Allocated: GC.GetAllocatedBytesForCurrentThread()));
        Assert.True(task.Wait(TimeSpan.FromSeconds(30)), $"hung: {string.Join(' ', args)}");
        var (result, _) = task.Result;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(result.ExitCode is 0 or 1 or 2, result.ToString());
        Assert.DoesNotContain("unexpected failure", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Err, StringComparison.Ordinal);
        Assert.True(result.ExitCode == 0 || result.ErrLines.Any(l => l.StartsWith("error: ", StringComparison.Ordinal)), result.ToString());
        Assert.True(allocated < AllocationBound, $"{allocated} bytes allocated by {string.Join(' ', args)}");
    }

    private static readonly Gen<string> HostileInt = Gen.OneOf(
        Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Of("0", "-1", "2147483647", "-2147483648", "99999999999", "1e9", "", "x", "0x10"));

    [Fact]
    public void Hostile_option_values_are_usage_errors_or_run()
    {
        var model = _cli.Model("h.onnx", Warmup.Testing.TestModels.HalfPlusTwo());
        var warmup = _cli.WarmupFileOf("w", HalfPlusTwoRecord(1));
        var output = _cli.PathOf("out");
        Gen.Select(Of("--threads", "--iterations", "--repeat", "--values", "--max-record-mib", "--batch-sizes", "--seed", "--max-records"), HostileInt)
            .Sample((option, value) =>
            {
                string[] args = option switch
                {
                    "--threads" => ["run", "--model", model, "--requests", warmup, "--iterations", "0", option, value],
                    "--iterations" => ["run", "--model", model, "--requests", warmup, option, value == "0" ? value : "-5"],
                    "--repeat" => ["measure", "--model", model, "--requests", _cli.PathOf("missing"), option, value],
                    "--values" => ["inspect", warmup, option, value],
                    "--batch-sizes" => ["create", "--model", model, "--out", output, "--max-record-mib", "4", option, value],
                    "--seed" => ["create", "--model", model, "--out", output, "--fill", "random", option, value],
                    "--max-records" => ["convert", warmup, output, option, value],
                    _ => ["validate", warmup, option, value],
                };
                AssertContained(args);
            }, iter: 60);
    }

    private static readonly Gen<string> Dim = Of("1", "0", "-1", "3", "268435456", "4611686018427387904", "9223372036854775807", "\"1\"", "null", "1.5");

    [Fact]
    public void Hostile_json_records_give_one_located_error_within_the_budget()
    {
        var json = _cli.PathOf("h.json");
        var gen = Gen.Select(Of("DT_FLOAT", "DT_STRING", "DT_INT8", "DT_BOOL", "DT_COMPLEX64", "nope"), Dim.Array[0, 4], Of("[]", "[1]", "[1,2,3]", "[\"a\"]", "[null]", "{}"),
            Of("predict", "classify", "none", "bogus"));
        gen.Sample((dtype, dims, values, logType) =>
        {
            File.WriteAllText(json, "{\"records\":[{\"logType\":\"" + logType + "\",\"inputs\":{\"x\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + string.Join(",", dims) +
                "],\"values\":" + values + "}},\"examples\":[{\"f\":{\"type\":\"float\",\"values\":" + values + "}}]}]}");
            AssertContained(["convert", json, _cli.PathOf("o"), "--max-record-mib", "4"]);
        }, iter: 80);
    }

    [Fact]
    public void Hostile_triton_configs_give_one_located_error_within_the_budget()
    {
        var directory = Directory.CreateDirectory(_cli.PathOf("triton")).FullName;
        Directory.CreateDirectory(Path.Combine(directory, "warmup"));
        File.WriteAllBytes(Path.Combine(directory, "warmup", "x.bin"), new byte[16]);
        var config = Path.Combine(directory, "config.pbtxt");
        var gen = Gen.Select(Of("0", "8", "-1", "2147483647", "9223372036854775807"), Of("", "count: 1", "count: -3", "count: 1000000000", "count: 9223372036854775807"),
            Gen.Select(Dim.Array[0, 3], Of("zero_data: true", "random_data: true", "input_data_file: \"x.bin\"", "input_data_file: \"../config.pbtxt\"", "")),
            Of("TYPE_FP32", "TYPE_STRING", "TYPE_BOOL", "TYPE_NOPE"));
        gen.Sample((maxBatch, count, input, type) =>
        {
            var (dims, data) = input;
            File.WriteAllText(config, $$"""
                name: "t"
                max_batch_size: {{maxBatch}}
                model_warmup { name: "s" batch_size: 1 {{count}} inputs { key: "x" value { data_type: {{type}} dims: [ {{string.Join(", ", dims)}} ] {{data}} } } }
                """);
            AssertContained(["convert", directory, _cli.PathOf("o"), "--max-record-mib", "4"]);
        }, iter: 80);
    }
}
