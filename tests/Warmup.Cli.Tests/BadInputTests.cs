using System.Buffers.Binary;
using Warmup.Format;
using Warmup.Format.TfRecord;
using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

/// <summary>Every kind of file the Format library rejects gives one located line and exit 1 from every reading command.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    public static TheoryData<string> Damages => new() { "truncated-data", "huge-length", "header-crc", "data-crc", "not-a-prediction-log", "gzip" };

    [Theory]
    [MemberData(nameof(Damages))]
    public void Damaged_files_give_one_located_error_line_and_exit_1(string damage)
    {
        var good = Bytes(HalfPlusTwoRecord(1, 2));
        var second = Frame(good).Length; // record 1 starts here
        var bytes = damage switch
        {
            "truncated-data" => Frame(good, good)[..(second + 20)],
            "huge-length" => WithLength(Frame(good, good), second, long.MaxValue / 2),
            "header-crc" => Flip(Frame(good, good), second + 9),
            "data-crc" => Flip(Frame(good, good), second + 15),
            "not-a-prediction-log" => Frame(good, [0xff, 0xff, 0xff]),
            _ => [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff, 1, 2, 3, 4, 5, 6, 7, 8],
        };
        var file = _cli.PathOf(damage);
        File.WriteAllBytes(file, bytes);
        var record = damage == "gzip" ? 0 : 1;

        foreach (var args in new[] { new[] { "inspect", file }, ["inspect", file, "--json"], ["validate", file], ["convert", file, _cli.PathOf("out.json")] })
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            var result = Run(args);

            Assert.True(result.ExitCode == 1, $"{string.Join(' ', args)}: {result}");
            var match = AssertRecordError(result, file, record);
            Assert.Equal(record == 0 ? "0" : second.ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups[1].Value);
            Assert.Single(result.ErrLines, l => l.StartsWith("error: ", StringComparison.Ordinal));
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), "a damaged file must fail fast");
            if (args.Contains("--json"))
            {
                // stdout stays one valid JSON document: the records before the damage, the error, the summary.
                var json = result.Json();
                Assert.Equal(record, json.GetProperty("records").GetArrayLength());
                var error = json.GetProperty("error");
                Assert.Equal(record, error.GetProperty("recordIndex").GetInt64());
                Assert.Equal(record == 0 ? 0 : second, error.GetProperty("byteOffset").GetInt64());
                Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
                Assert.Equal(record, json.GetProperty("summary").GetProperty("records").GetInt32());
            }
        }

        Assert.False(File.Exists(_cli.PathOf("out.json")));
    }

    [Fact]
    public void A_partial_trailing_header_is_the_end_of_file_with_a_warning_as_in_tf_serving()
    {
        var good = Bytes(HalfPlusTwoRecord(1, 2));
        var second = Frame(good).Length;
        var file = _cli.PathOf("tail");
        File.WriteAllBytes(file, Frame(good, good)[..(second + 6)]);

        foreach (var args in new[] { new[] { "inspect", file }, ["validate", file], ["convert", file, _cli.PathOf("out.json")] })
        {
            var result = Run(args);

            Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)}: {result}");
            Assert.Contains($"warning: {file}: record 1 at byte {second}: truncated header", result.Err, StringComparison.Ordinal);
        }

        Assert.Equal(1, Run("inspect", file, "--json").Json().GetProperty("summary").GetProperty("records").GetInt32());
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        bytes[at] ^= 0x01;
        return bytes;
    }

    // A length field that claims far more than the file holds, with a valid header CRC, so only the bound check stops it.
    private static byte[] WithLength(byte[] bytes, int at, long length)
    {
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at), length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 8), MaskedCrc32C.ComputeMasked(bytes.AsSpan(at, 8)));
        return bytes;
    }
}
