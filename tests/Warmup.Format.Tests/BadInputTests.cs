using System.IO.Compression;
using Google.Protobuf;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Format.TfRecord;

namespace Warmup.Format.Tests;

/// <summary>Every malformed-input case gives <see cref="WarmupFormatException"/> naming the file, record index and byte offset.</summary>
public class BadInputTests
{
    private const string Name = "models/m/1/assets.extra/tf_serving_warmup_requests";

    // Three records of different sizes, so that record 2 starts at an offset that only the right arithmetic gives.
    private static readonly byte[][] Payloads = [TestData.SmallPredict(0).ToByteArray(), TestData.SmallPredict(1).ToByteArray(), TestData.SmallPredict(22).ToByteArray()];
    private static readonly long Record1 = Payloads[0].Length + TfRecordWriter.FramingBytes;
    private static readonly long Record2 = Record1 + Payloads[1].Length + TfRecordWriter.FramingBytes;

    private static byte[] ValidFile() => TestData.Frame(Payloads);

    private static WarmupFormatException ReadFails(byte[] bytes, bool seekable, WarmupReadOptions? options = null)
    {
        var error = Assert.Throws<WarmupFormatException>(() => TestData.ReadAll(bytes, seekable, Name, options));
        Assert.Equal(Name, error.FilePath);
        return error;
    }

    private static void AssertLocated(WarmupFormatException error, long index, long offset)
    {
        Assert.Equal(index, error.RecordIndex);
        Assert.Equal(offset, error.ByteOffset);
        Assert.StartsWith($"{Name}: record {index} at byte {offset}: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Valid_file_reads(bool seekable)
    {
        var records = TestData.ReadAll(ValidFile(), seekable, Name);
        Assert.Equal([0L, Record1, Record2], records.Select(r => r.Offset));
        Assert.Equal(TestData.SmallPredict(22), records[2].Log);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 0)]
    [InlineData(true, 9)]
    [InlineData(false, 3)]
    public void Header_crc_mismatch(bool seekable, int byteInHeader)
    {
        var bytes = ValidFile();
        bytes[Record1 + byteInHeader] ^= 0x04;
        var error = ReadFails(bytes, seekable);
        Assert.Equal(WarmupErrorKind.HeaderCrc, error.Kind);
        AssertLocated(error, 1, Record1);
        Assert.Contains("header CRC", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Header_crc_mismatch_at_the_start_asks_whether_it_is_a_tfrecord(bool seekable)
    {
        var error = ReadFails("this is a text file, not a TFRecord\n"u8.ToArray(), seekable);
        Assert.Equal(WarmupErrorKind.HeaderCrc, error.Kind);
        AssertLocated(error, 0, 0);
        Assert.Contains("is this a TFRecord file?", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void Data_crc_mismatch(bool seekable, bool flipCrcItself)
    {
        var bytes = ValidFile();
        var at = flipCrcItself ? Record2 - 1 : Record1 + 12 + Payloads[1].Length / 2;
        bytes[at] ^= 0x80;
        var error = ReadFails(bytes, seekable);
        Assert.Equal(WarmupErrorKind.DataCrc, error.Kind);
        AssertLocated(error, 1, Record1);
        Assert.Contains("data CRC", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 1)]
    [InlineData(true, 11)]
    [InlineData(false, 7)]
    public void Truncated_header(bool seekable, int headerBytesLeft)
    {
        var bytes = ValidFile().AsSpan(0, (int)Record2 + headerBytesLeft).ToArray();
        var error = ReadFails(bytes, seekable);
        Assert.Equal(WarmupErrorKind.TruncatedHeader, error.Kind);
        AssertLocated(error, 2, Record2);
        Assert.Contains($"{headerBytesLeft} byte(s) into a 12-byte record header", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 0)]
    [InlineData(true, 5)]
    [InlineData(false, 5)]
    [InlineData(true, -1)]
    [InlineData(false, -1)]
    public void Truncated_data(bool seekable, int dataBytesLeft)
    {
        // -1: the data is complete and only part of its CRC is missing.
        var keep = dataBytesLeft >= 0 ? Record2 + 12 + dataBytesLeft : ValidFile().Length - 2;
        var bytes = ValidFile().AsSpan(0, (int)keep).ToArray();
        var left = keep - Record2 - 12;
        var error = ReadFails(bytes, seekable);
        AssertLocated(error, 2, Record2);
        if (seekable)
        {
            // The file's size is known, so the short record is caught from its header, before reading the data.
            Assert.Equal(WarmupErrorKind.LengthBeyondEnd, error.Kind);
            Assert.Contains($"length {Payloads[2].Length} reaches beyond the end of the file (only {left} byte(s) remain after the header)", error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(WarmupErrorKind.TruncatedData, error.Kind);
            Assert.Contains($"truncated record: the header promises {Payloads[2].Length} data byte(s) plus a 4-byte CRC, but the file ends after {left}", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(true, 1_000_000ul)]
    [InlineData(false, 1_000_000ul)]
    [InlineData(true, ulong.MaxValue)]
    [InlineData(false, ulong.MaxValue)]
    [InlineData(true, (ulong)int.MaxValue)]
    [InlineData(false, (ulong)int.MaxValue)]
    [InlineData(true, (ulong)int.MaxValue - 100)]
    [InlineData(false, (ulong)int.MaxValue - 100)]
    public void Length_beyond_end_of_file(bool seekable, ulong length)
    {
        // A header with a valid CRC whose length lies: the data is not there.
        var bytes = ValidFile().Concat(Header(length)).Concat(new byte[40]).ToArray();
        var error = ReadFails(bytes, seekable);
        AssertLocated(error, 3, bytes.Length - 52);
        Assert.Contains($"{length}", error.Message, StringComparison.Ordinal);
        if (seekable || length > (ulong)Array.MaxLength)
        {
            Assert.Equal(WarmupErrorKind.LengthBeyondEnd, error.Kind);
        }
        else
        {
            // A pipe's end is only found by reading to it; the buffer grows with the data that arrives, not with the field.
            Assert.Equal(WarmupErrorKind.TruncatedData, error.Kind);
            Assert.Contains("file ends after 40", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Huge_length_on_an_endless_non_seekable_stream_stops_at_the_limit_without_allocating_it()
    {
        // The stream really has 3 GB of data: only the reader's limit stops it, and memory must follow the data, not the field.
        var stream = new EndlessStream(Header(3_000_000_000), limit: 4_000_000_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<WarmupFormatException>(() => WarmupFile.Read(stream, Name).ToList());
        Assert.Equal(WarmupErrorKind.LengthBeyondEnd, error.Kind);
        AssertLocated(error, 0, 0);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated for a lying length field");
        Assert.Equal(12, stream.BytesRead);
    }

    [Fact]
    public void Lying_length_on_a_non_seekable_stream_allocates_with_the_data_that_arrives()
    {
        // Claims 1.5 GB (under the limit) but only 100 KB arrive: allocation must follow what arrived.
        var bytes = Header(1_500_000_000).Concat(new byte[100_000]).ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = ReadFails(bytes, seekable: false);
        Assert.Equal(WarmupErrorKind.TruncatedData, error.Kind);
        AssertLocated(error, 0, 0);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20, "allocated for a lying length field");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Protobuf_parse_error(bool seekable)
    {
        byte[][] payloads = [Payloads[0], [0x32, 0xFF, 0xFF, 0xFF, 0x0F, 0x01], Payloads[2]];
        var error = ReadFails(TestData.Frame(payloads), seekable);
        Assert.Equal(WarmupErrorKind.ParseError, error.Kind);
        AssertLocated(error, 1, Record1);
        Assert.Contains("not a valid PredictionLog", error.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidProtocolBufferException>(error.InnerException);
    }

    [Fact]
    public void Map_entry_without_a_value_reads_as_an_empty_tensor_and_is_rejected_by_the_validator()
    {
        // predict_log { request { inputs { key: "x" } } }: the entry has no value submessage.
        byte[] payload = [0x32, 0x07, 0x0a, 0x05, 0x12, 0x03, 0x0a, 0x01, (byte)'x'];
        var record = Assert.Single(TestData.ReadAll(TestData.Frame(payload), seekable: true, Name));
        var tensor = record.Log.PredictLog.Request.Inputs["x"];
        Assert.NotNull(tensor);
        var issue = Assert.Single(WarmupValidator.ValidateLog(record.Log));
        Assert.Equal(WarmupErrorKind.UnsupportedDtype, issue.Kind);
        Assert.Contains("DT_INVALID", issue.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("32 05 0a 03 12 01")]          // a map entry cut short inside the request
    [InlineData("32 03 0a 01 ff")]             // a truncated varint tag
    [InlineData("32 04 0a 02 0a 80")]          // a nested length running past its parent
    [InlineData("0b 00 00 00")]                // a group start tag (wire type 3) with no end
    [InlineData("32 02 0a 7f")]                // a nested length far beyond the record
    public void Malformed_protobuf_is_a_parse_error(string hex)
    {
        var error = ReadFails(TestData.Frame(TestData.Hex(hex)), seekable: false);
        Assert.Equal(WarmupErrorKind.ParseError, error.Kind);
        AssertLocated(error, 0, 0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Invalid_utf8_in_a_string_field_is_a_parse_error(bool seekable)
    {
        // predict_log { request { model_spec { name: <ff fe> } } }
        byte[] payload = [0x32, 0x08, 0x0a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0xff, 0xfe];
        var error = ReadFails(TestData.Frame(Payloads[0], payload), seekable);
        Assert.Equal(WarmupErrorKind.ParseError, error.Kind);
        AssertLocated(error, 1, Record1);
    }

    [Fact]
    public void Deeply_nested_messages_are_a_parse_error_not_a_stack_overflow()
    {
        // TensorProto.variant_val holds TensorProtos: 300 levels of it, beyond protobuf's recursion limit of 100.
        var tensor = new TensorProto { Dtype = DataType.DtVariant };
        for (var i = 0; i < 300; i++)
        {
            var outer = new TensorProto { Dtype = DataType.DtVariant };
            outer.VariantVal.Add(new VariantTensorDataProto { Tensors = { tensor } });
            tensor = outer;
        }

        var error = ReadFails(TestData.FrameLogs(TestData.SmallPredict(0), TestData.Predict("m", ("deep", tensor))), seekable: true);
        Assert.Equal(WarmupErrorKind.ParseError, error.Kind);
        AssertLocated(error, 1, Record1);
        Assert.Contains("recursion", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Too_many_records(bool seekable)
    {
        var empty = new PredictionLog().ToByteArray();
        var bytes = TestData.Frame(Enumerable.Repeat(empty, TfServing.MaxRecords + 1).ToArray());
        var error = ReadFails(bytes, seekable);
        Assert.Equal(WarmupErrorKind.TooManyRecords, error.Kind);
        AssertLocated(error, 1000, 1000 * 16);
        Assert.Contains("1000", error.Problem, StringComparison.Ordinal);

        // Tools may lift the limit to inspect such a file.
        Assert.Equal(1001, TestData.ReadAll(bytes, seekable, Name, new WarmupReadOptions { MaxRecords = null }).Count);
    }

    [Theory]
    [InlineData(true, "gzip")]
    [InlineData(false, "gzip")]
    [InlineData(true, "zlib")]
    [InlineData(false, "zlib")]
    public void Compressed_file(bool seekable, string compression)
    {
        using var buffer = new MemoryStream();
        using (Stream compressor = compression == "gzip" ? new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true) : new ZLibStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            compressor.Write(ValidFile());
        }

        var error = ReadFails(buffer.ToArray(), seekable);
        Assert.Equal(WarmupErrorKind.Compressed, error.Kind);
        AssertLocated(error, 0, 0);
        Assert.Contains($"compressed (it starts with a {compression} header)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Compressed_file_shorter_than_a_header_is_still_called_compressed(bool seekable)
    {
        var error = ReadFails([0x1f, 0x8b, 0x08, 0x00, 0x00], seekable);
        Assert.Equal(WarmupErrorKind.Compressed, error.Kind);
        AssertLocated(error, 0, 0);

        // A short tail that merely starts like gzip after the first record is a truncated header, not a compressed file.
        var tail = ReadFails([.. ValidFile(), 0x1f, 0x8b, 0x08], seekable);
        Assert.Equal(WarmupErrorKind.TruncatedHeader, tail.Kind);
    }

    [Theory]
    [InlineData("session_run", WarmupErrorKind.UnsupportedLogType)]
    [InlineData("predict_streamed", WarmupErrorKind.UnsupportedLogType)]
    [InlineData("complex64", WarmupErrorKind.UnsupportedDtype)]
    [InlineData("float8", WarmupErrorKind.UnsupportedDtype)]
    [InlineData("bad_content", WarmupErrorKind.InvalidTensor)]
    public void Record_that_tf_serving_rejects_is_located_by_the_validator_and_refused_by_the_writer(string what, WarmupErrorKind kind)
    {
        var bad = what switch
        {
            "session_run" => new PredictionLog { SessionRunLog = new SessionRunLog { Request = new SessionRunRequest() } },
            "predict_streamed" => new PredictionLog { PredictStreamedLog = new PredictStreamedLog { Request = { new PredictRequest() } } },
            "complex64" => TestData.Predict("m", ("z", new TensorProto { Dtype = DataType.DtComplex64, TensorShape = TensorShapes.ToProto([1]), ScomplexVal = { 1, 0 } })),
            "float8" => TestData.Predict("m", ("z", new TensorProto { Dtype = DataType.DtFloat8E4M3Fn, TensorShape = TensorShapes.ToProto([1]) })),
            _ => TestData.Predict("m", ("x", new TensorProto { Dtype = DataType.DtFloat, TensorShape = TensorShapes.ToProto([2]), TensorContent = ByteString.CopyFrom(new byte[7]) })),
        };
        PredictionLog[] logs = [TestData.SmallPredict(0), TestData.SmallPredict(1), bad];

        // The validator reads the file and places the finding at record 2.
        var directory = TestData.TempDirectory();
        try
        {
            var path = Path.Combine(directory, "tf_serving_warmup_requests");
            File.WriteAllBytes(path, TestData.FrameLogs(logs));
            var report = WarmupValidator.Validate(path);
            var issue = Assert.Single(report.Issues);
            Assert.Equal(WarmupIssueSeverity.Error, issue.Severity);
            Assert.Equal(kind, issue.Kind);
            Assert.Equal(2, issue.RecordIndex);
            Assert.Equal(Record2, issue.Offset);
            Assert.StartsWith($"{path}: record 2 at byte {Record2}: ", issue.Describe(path), StringComparison.Ordinal);
            Assert.False(report.IsValid);

            // The writer refuses it with the index and the offset the record would have had.
            var error = Assert.Throws<WarmupFormatException>(() => WarmupFile.Write(Path.Combine(directory, "out"), logs));
            Assert.Equal(kind, error.Kind);
            Assert.Equal(2, error.RecordIndex);
            Assert.Equal(Record2, error.ByteOffset);
            Assert.Contains($"record 2 at byte {Record2}: ", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Unsupported_dtype_message_names_the_dtype_and_the_input()
    {
        var tensor = new TensorProto { Dtype = DataType.DtComplex128, TensorShape = TensorShapes.ToProto([1]) };
        var error = Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.ToTensorData(tensor, "input \"z\""));
        Assert.Equal(WarmupErrorKind.UnsupportedDtype, error.Kind);
        Assert.Contains("input \"z\" has dtype DT_COMPLEX128", error.Message, StringComparison.Ordinal);
        Assert.Contains("DT_FLOAT", error.Message, StringComparison.Ordinal);

        var unknown = new TensorProto { Dtype = (DataType)77 };
        Assert.Contains("dtype 77", Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.ToTensorData(unknown)).Message, StringComparison.Ordinal);
        var reference = new TensorProto { Dtype = DataType.DtFloatRef };
        Assert.Contains("DT_FLOAT_REF", Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.ToTensorData(reference)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_and_directory_are_format_exceptions_naming_the_path()
    {
        var directory = TestData.TempDirectory();
        try
        {
            var missing = Path.Combine(directory, "nope");
            var error = Assert.Throws<WarmupFormatException>(() => WarmupFile.Read(missing).ToList());
            Assert.Equal(WarmupErrorKind.Io, error.Kind);
            Assert.StartsWith($"{missing}: file not found", error.Message, StringComparison.Ordinal);

            var isDirectory = Assert.Throws<WarmupFormatException>(() => WarmupFile.Read(directory).ToList());
            Assert.Contains("is a directory", isDirectory.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    internal static byte[] Header(ulong length)
    {
        var header = new byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(header, length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), MaskedCrc32C.ComputeMasked(header.AsSpan(0, 8)));
        return header;
    }
}
