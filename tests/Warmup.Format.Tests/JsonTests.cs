using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Warmup.Format.Json;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Format.TfRecord;
using Warmup.Testing;
using static Warmup.Format.Tests.TestData;

namespace Warmup.Format.Tests;

/// <summary>The lossless PredictionLog JSON (<see cref="WarmupJson"/>) through its public API; the CLI's convert tests run the same codec end to end.</summary>
public sealed class JsonTests
{
    /// <summary>Records that exercise every dtype, NaN and infinities, non-UTF-8 strings, the fill rule, unsorted maps and every log type.</summary>
    private static byte[][] Awkward()
    {
        var everyDtype = AwkwardRecords.EveryDtype();
        var unsorted = AwkwardRecords.FillRuleAndUnsortedInputs();
        return [everyDtype.ToByteArray(), unsorted.ToByteArray(), Classify().ToByteArray(), Regress().ToByteArray(), MultiInference().ToByteArray(), new PredictionLog().ToByteArray()];
    }

    private static string WriteFile(byte[][] records)
    {
        using var buffer = new MemoryStream();
        Assert.Equal(records.Length, WarmupJson.Write(buffer, records.Select(r => (ReadOnlyMemory<byte>)r), "awkward.tfrecord"));
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static WarmupJsonRecord[] ReadFile(string json, TensorLimits? limits = null) =>
        WarmupJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), "f.json", limits).ToArray();

    [Fact]
    public void A_file_round_trips_byte_for_byte_and_keeps_values_readable()
    {
        var records = Awkward();

        var json = WriteFile(records);
        var back = ReadFile(json);

        Assert.Equal(records, back.Select(r => r.Bytes.ToArray()));
        Assert.Equal(Enumerable.Range(0, records.Length).Select(i => (long)i), back.Select(r => r.Index));
        Assert.Equal(PredictionLog.Parser.ParseFrom(records[1]), back[1].Log);
        using var document = JsonDocument.Parse(json);
        Assert.Equal("awkward.tfrecord", document.RootElement.GetProperty("file").GetString());
        Assert.Equal(records.Length, document.RootElement.GetProperty("summary").GetProperty("records").GetInt32());
        var first = document.RootElement.GetProperty("records")[0];
        var second = document.RootElement.GetProperty("records")[1];
        Assert.Equal(records[0].Length + TfRecordWriter.FramingBytes, second.GetProperty("offset").GetInt64());
        var inputs = first.GetProperty("inputs");
        Assert.Equal(["NaN", "Infinity"], inputs.GetProperty("f").GetProperty("values").EnumerateArray().Take(2).Select(v => v.GetString()));
        Assert.Equal(ulong.MaxValue, inputs.GetProperty("u64").GetProperty("values")[0].GetUInt64());
        Assert.Equal(uint.MaxValue, inputs.GetProperty("u32").GetProperty("values")[0].GetUInt32());
        Assert.Equal([0, 255], inputs.GetProperty("u8").GetProperty("values").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal("héllo", inputs.GetProperty("s").GetProperty("values")[0].GetString());
        Assert.Equal([0xff, 0x00, 0xc3], inputs.GetProperty("s").GetProperty("values")[1].GetProperty("base64").GetBytesFromBase64());
        // Non-ASCII text stays readable, and a fill-rule tensor stays compact (one stored value for four elements).
        Assert.Contains("\"héllo\"", json, StringComparison.Ordinal);
        Assert.Equal([7f], second.GetProperty("inputs").GetProperty("zeta").GetProperty("values").EnumerateArray().Select(v => v.GetSingle()));
        Assert.EndsWith("}\n", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_serializes_and_parses_back_to_the_same_log()
    {
        foreach (var bytes in Awkward())
        {
            var log = PredictionLog.Parser.ParseFrom(bytes);

            var json = WarmupJson.Serialize(log);

            Assert.Equal(log, WarmupJson.Parse(json));
            Assert.DoesNotContain("\"index\"", json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Without_bytes_a_record_is_rebuilt_from_its_readable_fields_and_stale_bytes_are_refused()
    {
        var root = JsonNode.Parse(WriteFile(Awkward()))!;
        var record = root["records"]![1]!;
        record["inputs"]!["alpha"]!["values"]![0] = 5;

        var stale = Assert.Throws<WarmupFormatException>(() => ReadFile(root.ToJsonString()));
        Assert.Equal("f.json: record 1: the readable fields differ from \"bytes\" at \"inputs.alpha.values[0]\". Remove \"bytes\" to rebuild the record " +
            "from the readable fields, or undo the edit.", stale.Message);
        Assert.Equal(1, stale.RecordIndex);

        record.AsObject().Remove("bytes");
        var rebuilt = ReadFile(root.ToJsonString())[1];
        Assert.Equal([5f], TensorProtoConverter.ToArray<float>(rebuilt.Log.PredictLog.Request.Inputs["alpha"]));
        Assert.Equal([7f, 7f, 7f, 7f], TensorProtoConverter.ToArray<float>(rebuilt.Log.PredictLog.Request.Inputs["zeta"]));
        Assert.Equal(42, rebuilt.Log.PredictLog.Request.ModelSpec.Version);
        Assert.Equal(DeterministicProto.Serialize(rebuilt.Log), rebuilt.Bytes.ToArray());
    }

    [Fact]
    public void A_hand_written_record_becomes_a_prediction_log()
    {
        var log = WarmupJson.Parse("""
            {"logType": "regress", "model": {"name": "half_plus_two", "signatureName": "regress_x_to_y"}, "examples": [{"x": {"type": "float", "values": [3]}}]}
            """);

        Assert.Equal(PredictionLog.LogTypeOneofCase.RegressLog, log.LogTypeCase);
        Assert.Equal("regress_x_to_y", log.RegressLog.Request.ModelSpec.SignatureName);
        Assert.Equal([3f], log.RegressLog.Request.Input.ExampleList.Examples[0].Features.Feature["x"].FloatList.Value);
    }

    [Theory]
    [InlineData("""{"records": [{"logType": "predict", "inputs": {"x": {"dtype": "DT_FLOAT", "shape": [3], "values": [1, 2, 3, 4]}}}]}""",
        WarmupErrorKind.ParseError, "f.json: record 0: \"inputs.x.values\" do not match the shape")]
    [InlineData("""{"records": [{"logType": "predict", "inputs": {"x": {"dtype": "DT_INT8", "shape": [1], "values": [300]}}}]}""",
        WarmupErrorKind.ParseError, "f.json: record 0: \"inputs.x.values[0]\" 300 does not fit the dtype")]
    [InlineData("""{"records": [{"logType": "predict", "inputs": {"x": {"dtype": "DT_COMPLEX64", "shape": [1], "values": [1]}}}]}""",
        WarmupErrorKind.UnsupportedDtype, "f.json: record 0: \"inputs.x.dtype\" \"DT_COMPLEX64\" is not a supported dtype")]
    [InlineData("""{"records": [{"logType": "none", "bytes": "////"}]}""", WarmupErrorKind.ParseError, "f.json: record 0: \"bytes\": not a valid PredictionLog")]
    [InlineData("""{"records": [1, {"logType": "sessionRun"}]}""", WarmupErrorKind.ParseError, "f.json: record 0: is not a JSON object.")]
    [InlineData("""{"records": [{"logType": "predict", "inputs": {"x": {"dtype": 1, "shape": [1], "values": [1]}}}]}""",
        WarmupErrorKind.ParseError, "f.json: record 0: \"inputs.x.dtype\" is missing or not a string.")]
    [InlineData("""[1, 2]""", WarmupErrorKind.ParseError, "f.json: expected an object with a \"records\" array")]
    [InlineData("""{"file": "x", "summary": {"records": 0}}""", WarmupErrorKind.ParseError, "f.json: expected an object with a \"records\" array")]
    public void Each_bad_record_gives_one_located_error(string json, WarmupErrorKind kind, string expected)
    {
        var error = Assert.Throws<WarmupFormatException>(() => ReadFile(json));

        Assert.Equal(kind, error.Kind);
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal("f.json", error.FilePath);
    }

    [Fact]
    public void A_syntax_error_names_its_line_and_column()
    {
        var error = Assert.Throws<WarmupFormatException>(() => ReadFile("{\"records\": [\n  {\"logType\": \"predict\",, }\n]}"));

        Assert.StartsWith("f.json: line 2, column ", error.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON (", error.Message, StringComparison.Ordinal);
        var syntax = Assert.IsAssignableFrom<JsonException>(error.InnerException);
        Assert.Equal(1, syntax.LineNumber);
        Assert.StartsWith("line 1, column ", Assert.Throws<WarmupFormatException>(() => WarmupJson.Parse("{\"logType\": }")).Message, StringComparison.Ordinal);
        Assert.StartsWith("f.json: line 1, column ", Assert.Throws<WarmupFormatException>(() => ReadFile("{\"records\": []} trailing")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_large_file_is_read_record_by_record_across_buffer_boundaries()
    {
        var records = Enumerable.Range(0, 300)
            .Select(i => Predict("m", ("x", TensorProtoConverter.FromArray(Enumerable.Range(0, 256).Select(v => v * 0.1f + i).ToArray(), 1, 256))))
            .Append(Predict("m", ("big", TensorProtoConverter.FromArray(Enumerable.Range(0, 40_000).Select(v => v / 3f).ToArray(), 40_000))))
            .Select(l => l.ToByteArray())
            .ToArray();
        var json = WriteFile(records);
        Assert.True(json.Length > 1 << 20);

        // A stream that hands out a few bytes per read, so every record crosses reads.
        using var trickle = new TrickleStream(Encoding.UTF8.GetBytes(json), 4093);
        var back = WarmupJson.Read(trickle, "f.json").Select(r => r.Bytes.ToArray()).ToArray();

        Assert.Equal(records, back);
    }

    [Fact]
    public void Bytes_beyond_the_budget_are_refused_before_they_are_decoded()
    {
        var payload = Convert.ToBase64String(new byte[3 << 20]);
        var limits = new TensorLimits { MaxRecordBytes = 1 << 20 };

        var error = Assert.Throws<WarmupFormatException>(() => ReadFile($$"""{"records":[{"logType":"predict","bytes":"{{payload}}"}]}""", limits));
        var single = Assert.Throws<WarmupFormatException>(() => WarmupJson.Parse($$"""{"logType":"predict","bytes":"{{payload}}"}""", limits));

        Assert.StartsWith("f.json: record 0: \"bytes\" holds about 3 MiB, above the per-record budget of 1 MiB", error.Message, StringComparison.Ordinal);
        Assert.Equal(WarmupErrorKind.InvalidTensor, error.Kind);
        Assert.StartsWith("\"bytes\" holds about 3 MiB", single.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fill_rule_record_stays_compact_and_its_expansion_is_checked_against_the_budget()
    {
        var huge = new TensorProto { Dtype = DataType.DtFloat, TensorShape = TensorShapes.ToProto([1 << 14, 1 << 14]) };
        huge.FloatVal.Add(1f);
        var bytes = Predict("m", ("x", huge)).ToByteArray();

        var json = WriteFile([bytes]);

        Assert.True(json.Length < 4096, $"{json.Length} characters of JSON");
        var error = Assert.Throws<WarmupFormatException>(() => ReadFile(json));
        Assert.Contains("above the per-record budget of 256 MiB", error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, ReadFile(json, new TensorLimits { MaxRecordBytes = 2L << 30 })[0].Bytes.ToArray());
    }

    [Fact]
    public void A_preview_writes_the_first_values_of_the_expanded_tensor()
    {
        var filled = new TensorProto { Dtype = DataType.DtInt64, TensorShape = TensorShapes.ToProto([2, 3]) };
        filled.Int64Val.Add([1, 2]);
        var log = Predict("m", ("x", filled));
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            WarmupJson.WriteRecord(w, new WarmupRecord(3, 100, log.CalculateSize(), log), maxValues: 4);
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        var root = document.RootElement;
        Assert.Equal(3, root.GetProperty("index").GetInt64());
        Assert.Equal(100, root.GetProperty("offset").GetInt64());
        Assert.False(root.TryGetProperty("bytes", out _));
        Assert.Equal([1L, 2, 2, 2], root.GetProperty("inputs").GetProperty("x").GetProperty("values").EnumerateArray().Select(v => v.GetInt64()));
        Assert.Equal([2L, 3], root.GetProperty("inputs").GetProperty("x").GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()));
    }

    /// <summary>Returns at most <c>chunk</c> bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
    }
}
