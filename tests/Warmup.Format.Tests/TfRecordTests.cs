using System.Buffers.Binary;
using Warmup.Format.TfRecord;

namespace Warmup.Format.Tests;

public class TfRecordTests
{
    [Fact]
    public void Zero_length_record_is_exactly_the_spec_bytes()
    {
        Assert.Equal(TestData.Hex("00 00 00 00 00 00 00 00 29 03 98 07 d8 ea 82 a2"), TestData.Frame([[]]));
    }

    [Fact]
    public void Framing_is_length_header_crc_data_data_crc()
    {
        var payload = "hello"u8.ToArray();
        var bytes = TestData.Frame(payload);

        Assert.Equal(5 + TfRecordWriter.FramingBytes, bytes.Length);
        Assert.Equal(5ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal(MaskedCrc32C.ComputeMasked(bytes.AsSpan(0, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(payload, bytes.AsSpan(12, 5).ToArray());
        Assert.Equal(MaskedCrc32C.ComputeMasked(payload), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(17)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reader_returns_each_payload_with_index_and_offset(bool seekable)
    {
        byte[][] payloads = [[], [1], [2, 3, 4], new byte[3 << 20]];
        payloads[3].AsSpan().Fill(0x5A);
        var bytes = TestData.Frame(payloads);

        using Stream stream = seekable ? new MemoryStream(bytes) : new NonSeekableStream(bytes, maxRead: 1000);
        using var reader = new TfRecordReader(stream, "f");
        long offset = 0;
        for (var i = 0; i < payloads.Length; i++)
        {
            Assert.True(reader.MoveNext());
            Assert.Equal(i, reader.Current.Index);
            Assert.Equal(offset, reader.Current.Offset);
            Assert.Equal(payloads[i], reader.Current.Data.ToArray());
            offset += payloads[i].Length + TfRecordWriter.FramingBytes;
            Assert.Equal(offset, reader.Position);
        }

        Assert.False(reader.MoveNext());
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public async Task Async_reader_and_writer_agree_with_the_sync_ones()
    {
        byte[][] payloads = [[9, 8, 7], [], new byte[100_000]];
        using var buffer = new MemoryStream();
        await using (var writer = new TfRecordWriter(buffer, leaveOpen: true))
        {
            foreach (var payload in payloads)
            {
                await writer.WriteAsync(payload);
            }

            Assert.Equal(3, writer.RecordsWritten);
            Assert.Equal(buffer.Length, writer.BytesWritten);
        }

        Assert.Equal(TestData.Frame(payloads), buffer.ToArray());
        buffer.Position = 0;
        using var reader = new TfRecordReader(new NonSeekableStream(buffer.ToArray()));
        var read = new List<byte[]>();
        while (await reader.MoveNextAsync())
        {
            read.Add(reader.Current.Data.ToArray());
        }

        Assert.Equal(payloads, read);
    }

    [Fact]
    public void Data_crc_is_not_checked_when_disabled()
    {
        var bytes = TestData.Frame([1, 2, 3]);
        bytes[^1] ^= 0xFF;
        using var reader = new TfRecordReader(new MemoryStream(bytes), options: new TfRecordReaderOptions { VerifyDataCrc = false });
        Assert.True(reader.MoveNext());
        Assert.Equal(new byte[] { 1, 2, 3 }, reader.Current.Data.ToArray());
    }

    [Fact]
    public void Record_above_the_configured_limit_is_rejected_before_reading_it()
    {
        var bytes = TestData.Frame(new byte[10], new byte[100]);
        using var reader = new TfRecordReader(new NonSeekableStream(bytes), "f", new TfRecordReaderOptions { MaxRecordBytes = 50 });
        Assert.True(reader.MoveNext());
        var error = Assert.Throws<WarmupFormatException>(() => reader.MoveNext());
        Assert.Equal(WarmupErrorKind.LengthBeyondEnd, error.Kind);
        Assert.StartsWith("f: record 1 at byte 26: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("limit is 50", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Io_failure_becomes_a_format_exception_with_the_position()
    {
        var bytes = TestData.Frame([1, 2, 3], [4]);
        using var reader = new TfRecordReader(new FailingStream(bytes, failAt: 20), "f");
        Assert.True(reader.MoveNext());
        var error = Assert.Throws<WarmupFormatException>(() => reader.MoveNext());
        Assert.Equal(WarmupErrorKind.Io, error.Kind);
        Assert.StartsWith("f: record 1 at byte 19: read failed", error.Message, StringComparison.Ordinal);
    }

    private sealed class FailingStream(byte[] data, int failAt) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAt)
            {
                throw new IOException("disk on fire");
            }

            var n = Math.Min(Math.Min(count, failAt - _position), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
