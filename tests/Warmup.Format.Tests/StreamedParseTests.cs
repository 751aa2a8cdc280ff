using Google.Protobuf;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Format.TfRecord;

namespace Warmup.Format.Tests;

/// <summary>
/// <see cref="WarmupFile.Read(Stream, string?, WarmupReadOptions?)"/> on a seekable stream parses each record while its
/// payload streams in, a window at a time (TfRecordReader.MoveNextParsed): the same records and the same errors as reading
/// the record whole first (what the asynchronous path still does), without ever holding the raw record whole.
/// </summary>
public class StreamedParseTests
{
    private const string Name = "streamed";

    // Small records cut into pieces of a few bytes, so that piece boundaries fall inside tags, lengths and fields.
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1 << 20)]
    public void Any_window_gives_the_records_that_were_written(int window)
    {
        PredictionLog[] logs = [TestData.SmallPredict(1), TestData.Classify(), TestData.Regress(), TestData.MultiInference(), new PredictionLog(), LargeLog(3000)];
        var bytes = TestData.FrameLogs(logs);
        var records = TestData.ReadAll(bytes, seekable: true, Name, Options(window));
        Assert.Equal(logs, records.Select(r => r.Log));
        Assert.Equal(logs.Select(l => l.CalculateSize()), records.Select(r => r.Length));
        Assert.Equal(TestData.ReadAll(bytes, seekable: false, Name).Select(r => r.Offset), records.Select(r => r.Offset));
    }

    [Fact]
    public void Large_record_reads_with_the_default_window()
    {
        // 1 MiB of tensor_content: 64 windows of 16 KiB.
        var log = LargeLog(1 << 18);
        var records = TestData.ReadAll(TestData.FrameLogs(log, TestData.SmallPredict(4)), seekable: true, Name);
        Assert.Equal([log, TestData.SmallPredict(4)], records.Select(r => r.Log));
    }

    [Fact]
    public void Reading_a_large_record_allocates_its_parsed_form_not_a_second_raw_copy()
    {
        // One 4 MiB record: reading it whole first would allocate a 4 MiB buffer next to the parsed 4 MiB tensor_content.
        var log = LargeLog(1 << 20);
        var bytes = TestData.FrameLogs(log);
        using var stream = new MemoryStream(bytes, writable: false);
        _ = TestData.ReadAll(TestData.FrameLogs(TestData.SmallPredict(1)), seekable: true); // JIT and statics outside the count

        var before = GC.GetAllocatedBytesForCurrentThread();
        var read = WarmupFile.Read(stream, Name).Single();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(log, read.Log);
        Assert.InRange(allocated, bytes.Length * 0.99, bytes.Length * 1.05);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(16 * 1024)]
    public void Corrupt_data_that_breaks_the_parser_is_a_data_crc_error(int window)
    {
        // The corruption turns the first tag into field 0, which the parser rejects in the first piece; the CRC still wins.
        var payloads = new[] { TestData.SmallPredict(1).ToByteArray(), LargeLog(2000).ToByteArray() };
        var bytes = TestData.Frame(payloads);
        var record1 = payloads[0].Length + TfRecordWriter.FramingBytes;
        bytes[record1 + TfRecordWriter.HeaderBytes] = 0x00;

        var error = Assert.Throws<WarmupFormatException>(() => TestData.ReadAll(bytes, seekable: true, Name, Options(window)));
        Assert.Equal(WarmupErrorKind.DataCrc, error.Kind);
        Assert.Equal(1, error.RecordIndex);
        Assert.Equal(record1, error.ByteOffset);
        Assert.StartsWith($"{Name}: record 1 at byte {record1}: data CRC mismatch in a {payloads[1].Length}-byte record", error.Message, StringComparison.Ordinal);

        // Without CRC verification the same bytes are what they look like: a parse error, at the same place.
        var unverified = Assert.Throws<WarmupFormatException>(() =>
            TestData.ReadAll(bytes, seekable: true, Name, Options(window, verifyDataCrc: false)));
        Assert.Equal(WarmupErrorKind.ParseError, unverified.Kind);
        Assert.Equal(record1, unverified.ByteOffset);
    }

    [Fact]
    public void Corrupt_tensor_bytes_that_still_parse_are_a_data_crc_error()
    {
        var payloads = new[] { LargeLog(5000).ToByteArray() };
        var bytes = TestData.Frame(payloads);
        bytes[TfRecordWriter.HeaderBytes + payloads[0].Length - 100] ^= 0x01; // inside tensor_content
        var error = Assert.Throws<WarmupFormatException>(() => TestData.ReadAll(bytes, seekable: true, Name, Options(64)));
        Assert.Equal(WarmupErrorKind.DataCrc, error.Kind);
        Assert.Equal(0, error.ByteOffset);
    }

    [Fact]
    public void Valid_crc_around_a_broken_protobuf_is_a_parse_error_with_the_parsers_reason()
    {
        byte[][] payloads = [TestData.SmallPredict(1).ToByteArray(), [0x32, 0xFF, 0xFF, 0xFF, 0x0F, 0x01, 0x02, 0x03], TestData.SmallPredict(2).ToByteArray()];
        var record1 = payloads[0].Length + TfRecordWriter.FramingBytes;
        var error = Assert.Throws<WarmupFormatException>(() => TestData.ReadAll(TestData.Frame(payloads), seekable: true, Name, Options(3)));
        Assert.Equal(WarmupErrorKind.ParseError, error.Kind);
        Assert.Equal(1, error.RecordIndex);
        Assert.Equal(record1, error.ByteOffset);
        Assert.Contains("not a valid PredictionLog", error.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidProtocolBufferException>(error.InnerException);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(700)]
    [InlineData(11_999)]
    public void Stream_that_ends_before_its_length_says_is_truncated_data(int dataBytesLeft)
    {
        // The stream claims more bytes than it delivers (a file cut short while being read), so the header check passes
        // and the short read is only found while the record streams in.
        var payloads = new[] { TestData.SmallPredict(1).ToByteArray(), LargeLog(3000).ToByteArray() };
        var record1 = payloads[0].Length + TfRecordWriter.FramingBytes;
        var bytes = TestData.Frame(payloads).AsSpan(0, record1 + TfRecordWriter.HeaderBytes + dataBytesLeft).ToArray();
        using var stream = new OverstatedLengthStream(bytes, extra: 100_000);

        var error = Assert.Throws<WarmupFormatException>(() => WarmupFile.Read(stream, Name, Options(1000)).ToList());
        Assert.Equal(WarmupErrorKind.TruncatedData, error.Kind);
        Assert.Equal(1, error.RecordIndex);
        Assert.Equal(record1, error.ByteOffset);
        Assert.Contains($"the header promises {payloads[1].Length} data byte(s) plus a 4-byte CRC, but the file ends after {dataBytesLeft}.",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_failure_while_streaming_is_an_io_error_at_the_record()
    {
        var payloads = new[] { TestData.SmallPredict(1).ToByteArray(), LargeLog(3000).ToByteArray() };
        var record1 = payloads[0].Length + TfRecordWriter.FramingBytes;
        using var stream = new OverstatedLengthStream(TestData.Frame(payloads), extra: 0, failAt: record1 + 5000);

        var error = Assert.Throws<WarmupFormatException>(() => WarmupFile.Read(stream, Name, Options(1000)).ToList());
        Assert.Equal(WarmupErrorKind.Io, error.Kind);
        Assert.Equal(1, error.RecordIndex);
        Assert.Equal(record1, error.ByteOffset);
        Assert.IsType<IOException>(error.InnerException);
    }

    [Fact]
    public void Raw_records_and_streamed_records_can_alternate_on_one_reader()
    {
        // The CLI reads raw bytes; WarmupFile parses as it streams: both go through the same framing on one reader.
        PredictionLog[] logs = [LargeLog(3000), TestData.SmallPredict(1), LargeLog(100), TestData.Classify()];
        var bytes = TestData.FrameLogs(logs);
        using var reader = new TfRecordReader(new MemoryStream(bytes), Name, new TfRecordReaderOptions { StreamingWindowBytes = 50 });
        PayloadParser<PredictionLog> parse = (payload, index, offset) => WarmupFile.ParseRecord(payload, index, offset, Name);

        Assert.True(reader.MoveNextParsed(parse, out var first));
        Assert.True(reader.MoveNext());
        Assert.Equal(logs[1].ToByteArray(), reader.Current.Data.ToArray());
        Assert.True(reader.MoveNextParsed(parse, out var third));
        Assert.True(reader.MoveNext());
        Assert.Equal(logs[3], PredictionLog.Parser.ParseFrom(reader.Current.Data.Span));
        Assert.Equal(bytes.Length, reader.Position);
        Assert.False(reader.MoveNextParsed(parse, out _));
        Assert.Equal([logs[0], logs[2]], [first, third]);
    }

    private static WarmupReadOptions Options(int window, bool verifyDataCrc = true) =>
        new() { Framing = new TfRecordReaderOptions { StreamingWindowBytes = window, VerifyDataCrc = verifyDataCrc } };

    // A predict log whose tensor is floats as tensor_content (4 bytes each), as TF's tools write large tensors.
    private static PredictionLog LargeLog(int floats) =>
        TestData.Predict("large", ("x", TensorProtoConverter.FromArray(Enumerable.Range(0, floats).Select(i => i * 0.25f).ToArray(), 1, floats)));

    // A seekable stream whose Length overstates its data by extra bytes, and that can fail with an IOException at failAt.
    private sealed class OverstatedLengthStream(byte[] data, long extra, long failAt = long.MaxValue) : MemoryStream(data, writable: false)
    {
        public override long Length => base.Length + extra;

        // MemoryStream sends span reads of a derived type here.
        public override int Read(byte[] buffer, int offset, int count) =>
            Position + count > failAt ? throw new IOException("disk on fire") : base.Read(buffer, offset, count);
    }
}
