using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Warmup.Format.TfRecord;

/// <summary>One record as the reader sees it. <see cref="Data"/> is valid until the reader moves on.</summary>
/// <param name="Index">Zero-based record index.</param>
/// <param name="Offset">Byte offset of the record's header in the file.</param>
/// <param name="Data">The record's payload, in a buffer owned and reused by the reader.</param>
public readonly record struct TfRecordEntry(long Index, long Offset, ReadOnlyMemory<byte> Data)
{
    /// <summary>Payload length in bytes.</summary>
    public int Length => Data.Length;
}

/// <summary>Options for <see cref="TfRecordReader"/>.</summary>
public sealed class TfRecordReaderOptions
{
    /// <summary>
    /// Largest record payload accepted, in bytes. Protobuf messages cannot exceed 2 GiB, so the default (and the
    /// ceiling) is <see cref="Array.MaxLength"/>; lower it to bound memory further.
    /// </summary>
    public int MaxRecordBytes { get; init; } = Array.MaxLength;

    /// <summary>Whether data CRCs are verified (header CRCs are always verified). Default true.</summary>
    public bool VerifyDataCrc { get; init; } = true;

    // Bytes of a record read from the stream at a time while it is parsed as it streams (see TfRecordReader.MoveNextParsed):
    // small against large records, so the raw record adds little to its parsed form. Tests lower it to cut small records
    // into many pieces.
    internal int StreamingWindowBytes { get; init; } = 16 * 1024;
}

/// <summary>Parses one record's payload; <paramref name="index"/> and <paramref name="offset"/> locate it for errors.</summary>
internal delegate T PayloadParser<out T>(ReadOnlySequence<byte> payload, long index, long offset);

/// <summary>
/// Streaming TFRecord reader. It never buffers the whole file: it holds one record (or one streaming window) at a time in
/// one reused, pooled buffer,
/// verifies both CRCs, checks every length field against what is left of the stream before allocating, and reports
/// each record's index and byte offset. Any malformed input raises <see cref="WarmupFormatException"/>.
/// </summary>
public sealed class TfRecordReader : IDisposable
{
    private const int UnseekableChunkBytes = 1 << 20;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly string? _displayName;
    private readonly TfRecordReaderOptions _options;
    private readonly byte[] _header = new byte[TfRecordWriter.HeaderBytes];
    private readonly byte[] _footer = new byte[TfRecordWriter.FooterBytes];

    // One buffer, reused for every record and grown as needed. Up to 64 KiB it is rented from the shared pool
    // (streaming windows and small records: no allocation per reader, rounding wastes at most 64 KiB); above, it is
    // allocated at the exact size, so peak memory stays at the largest record rather than the next power of two.
    private const int PooledBufferLimit = 1 << 16;
    private byte[] _buffer = [];
    private bool _bufferRented;
    private long _position;
    private long _nextIndex;

    /// <summary>Creates a reader.</summary>
    /// <param name="stream">A readable stream positioned at the first record.</param>
    /// <param name="displayName">The file name used in error messages.</param>
    /// <param name="options">Reader options, or null for the defaults.</param>
    /// <param name="leaveOpen">Whether disposing the reader leaves <paramref name="stream"/> open.</param>
    public TfRecordReader(Stream stream, string? displayName = null, TfRecordReaderOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream is not readable.", nameof(stream));
        }

        _stream = stream;
        _displayName = displayName;
        _options = options ?? new TfRecordReaderOptions();
        _leaveOpen = leaveOpen;
    }

    /// <summary>The record read by the last successful <see cref="MoveNext"/> or <see cref="MoveNextAsync"/>.</summary>
    public TfRecordEntry Current { get; private set; }

    /// <summary>Byte offset of the next record (the number of bytes consumed so far).</summary>
    public long Position => _position;

    // Index of the next record.
    internal long NextIndex => _nextIndex;

    /// <summary>Reads the next record; false at a clean end of file.</summary>
    public bool MoveNext()
    {
        // With sync: true every await inside completes synchronously, so the ValueTask is already complete here.
#pragma warning disable CA2012
        return MoveNextCore(sync: true, CancellationToken.None).GetAwaiter().GetResult();
#pragma warning restore CA2012
    }

    /// <summary>Reads the next record asynchronously; false at a clean end of file.</summary>
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default) => MoveNextCore(sync: false, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        ReleaseBuffer();
        Current = default;
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    /// <summary>
    /// Reads the next record and parses it with <paramref name="parse"/> while its payload streams in, synchronously; false
    /// at a clean end of file. <see cref="Current"/> is cleared, not set. Framing errors and CRCs are reported exactly as by
    /// <see cref="MoveNext"/>: a data CRC mismatch wins over whatever the parser made of the corrupt bytes.
    /// </summary>
    /// <remarks>
    /// When the stream's length is known, the length field has been checked against it, so the parser is given a sequence of
    /// that length whose pieces are read from the stream into one small window only as the parser reaches them (and added
    /// to the running CRC). Knowing the length, Google.Protobuf allocates each bytes field once at its final size, and the
    /// raw record never exists whole: peak memory is the parsed record plus the window, instead of the parsed record plus
    /// the whole raw record. On a pipe the length is untrusted, so the payload is buffered as it arrives and parsed after.
    /// </remarks>
    internal bool MoveNextParsed<T>(PayloadParser<T> parse, out T value)
    {
        Current = default;
        value = default!;
        var header = Sync(ReadHeader(sync: true, CancellationToken.None));
        if (header is not { } h)
        {
            return false;
        }

        if (!h.LengthChecked || h.Size == 0)
        {
            var got = Sync(ReadPayload(h.Size, h.LengthChecked, sync: true, CancellationToken.None));
            CompleteFraming(h, got, _options.VerifyDataCrc && got == h.Size ? MaskedCrc32C.Compute(_buffer.AsSpan(0, h.Size)) : 0);
            value = parse(new ReadOnlySequence<byte>(_buffer, 0, h.Size), h.Index, h.Offset);
            return true;
        }

        var payload = new StreamedPayload(this, h, Math.Max(Math.Max(_options.StreamingWindowBytes, 1), h.Size / 1024));
        ExceptionDispatchInfo? parseError = null;
        try
        {
            value = parse(payload.Sequence, h.Index, h.Offset);
        }
        catch (WarmupFormatException ex) when (ex.Kind == WarmupErrorKind.ParseError)
        {
            // Not reported yet: a corrupt or short record is reported as such, from its CRC or its end, as MoveNext would.
            parseError = ExceptionDispatchInfo.Capture(ex);
        }

        payload.ReadRest();
        CompleteFraming(h, h.Size, payload.Crc);
        parseError?.Throw();
        return true;
    }

    private async ValueTask<bool> MoveNextCore(bool sync, CancellationToken cancellationToken)
    {
        var header = await ReadHeader(sync, cancellationToken).ConfigureAwait(false);
        if (header is not { } h)
        {
            Current = default;
            return false;
        }

        var got = await ReadPayload(h.Size, h.LengthChecked, sync, cancellationToken).ConfigureAwait(false);
        if (got == h.Size)
        {
            got += await ReadAtMost(_footer, sync, cancellationToken).ConfigureAwait(false);
        }

        VerifyFooter(h, got, _options.VerifyDataCrc && got >= h.Size ? MaskedCrc32C.Compute(_buffer.AsSpan(0, h.Size)) : 0);
        Current = new TfRecordEntry(h.Index, h.Offset, _buffer.AsMemory(0, h.Size));
        return true;
    }

    // Completes a record whose payload has been read (got bytes of it, its CRC computed if verified): reads the footer and
    // checks it, then moves past the record.
    private void CompleteFraming(RecordHeader header, int got, uint dataCrc)
    {
        if (got == header.Size)
        {
            got += Sync(ReadAtMost(_footer, sync: true, CancellationToken.None));
        }

        VerifyFooter(header, got, dataCrc);
    }

    // got: payload and footer bytes read. The one place where a record's end is checked and the reader moves past it.
    private void VerifyFooter(RecordHeader header, int got, uint dataCrc)
    {
        if (got < header.Size + TfRecordWriter.FooterBytes)
        {
            throw TruncatedData(header, got);
        }

        if (_options.VerifyDataCrc && MaskedCrc32C.Mask(dataCrc) != BinaryPrimitives.ReadUInt32LittleEndian(_footer))
        {
            throw Error(WarmupErrorKind.DataCrc, header.Index, header.Offset,
                $"data CRC mismatch in a {header.Size}-byte record: the record is corrupt. Rewrite the file.");
        }

        _position = header.Offset + TfRecordWriter.HeaderBytes + header.Size + TfRecordWriter.FooterBytes;
        _nextIndex = header.Index + 1;
    }

    private WarmupFormatException TruncatedData(RecordHeader header, int got) =>
        Error(WarmupErrorKind.TruncatedData, header.Index, header.Offset,
            $"truncated record: the header promises {header.Size} data byte(s) plus a 4-byte CRC, but the file ends after {got}. " +
            "Rewrite the file; it was cut short.");

    // Reads and checks the next header: null at a clean end of file. LengthChecked: the length was checked against what is
    // left of the stream (not only against the configured limit), so it can be trusted to size an allocation.
    private async ValueTask<RecordHeader?> ReadHeader(bool sync, CancellationToken cancellationToken)
    {
        var index = _nextIndex;
        var offset = _position;

        var got = await ReadAtMost(_header, sync, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < _header.Length)
        {
            if (offset == 0 && got >= 2 && LooksCompressed(_header))
            {
                throw HeaderCrcError(index, offset);
            }

            throw Error(WarmupErrorKind.TruncatedHeader, index, offset,
                $"truncated header: the file ends {got} byte(s) into a 12-byte record header. TF Serving silently ignores such a tail; " +
                "remove the trailing bytes or rewrite the file.");
        }

        var length = BinaryPrimitives.ReadUInt64LittleEndian(_header);
        var storedHeaderCrc = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(8));
        if (MaskedCrc32C.ComputeMasked(_header.AsSpan(0, 8)) != storedHeaderCrc)
        {
            throw HeaderCrcError(index, offset);
        }

        var remaining = Remaining();
        var limit = (ulong)Math.Clamp(_options.MaxRecordBytes, 0, Array.MaxLength);
        if (length > limit || (remaining is { } left && length + TfRecordWriter.FooterBytes > (ulong)left))
        {
            var what = length <= limit && remaining is { } r
                ? $"only {r} byte(s) remain after the header"
                : $"the reader's limit is {limit} bytes";
            throw Error(WarmupErrorKind.LengthBeyondEnd, index, offset,
                $"length {length} reaches beyond the end of the file ({what}); the file is truncated or corrupt. " +
                "Rewrite it with a TFRecord writer.");
        }

        return new RecordHeader(index, offset, (int)length, LengthChecked: remaining is not null);
    }

    // With sync: true every await inside completes synchronously, so the ValueTask is already complete here.
#pragma warning disable CA2012
    private static TResult Sync<TResult>(ValueTask<TResult> task) => task.GetAwaiter().GetResult();
#pragma warning restore CA2012

    private WarmupFormatException HeaderCrcError(long index, long offset)
    {
        if (offset == 0 && LooksCompressed(_header))
        {
            return Error(WarmupErrorKind.Compressed, index, offset,
                "the file is compressed (it starts with a " + (_header[0] == 0x1f ? "gzip" : "zlib") + " header). " +
                "TF Serving reads only uncompressed warmup files: decompress it (e.g. gunzip) or write it without compression.");
        }

        var hint = offset == 0 ? " (is this a TFRecord file?)" : string.Empty;
        return Error(WarmupErrorKind.HeaderCrc, index, offset,
            $"header CRC mismatch: corrupted record{hint}. Verify the file is an uncompressed TFRecord of PredictionLog and rewrite it.");
    }

    // Only consulted after a header CRC failure, since a valid length field can start with the same bytes.
    private static bool LooksCompressed(ReadOnlySpan<byte> header) =>
        (header[0] == 0x1f && header[1] == 0x8b) ||
        (header[0] == 0x78 && (header[1] is 0x01 or 0x5e or 0x9c or 0xda));

    private async ValueTask<int> ReadPayload(int size, bool lengthChecked, bool sync, CancellationToken cancellationToken)
    {
        if (lengthChecked)
        {
            EnsureBuffer(size, preserve: 0);
            return await ReadAtMost(_buffer.AsMemory(0, size), sync, cancellationToken).ConfigureAwait(false);
        }

        // The stream's length is unknown, so the length field is untrusted: grow the buffer only as data actually arrives
        // (doubling, starting at 1 MiB), so a lying length costs at most about twice the bytes really present.
        var filled = 0;
        while (filled < size)
        {
            var want = Math.Min(size - filled, Math.Max(UnseekableChunkBytes, filled));
            EnsureBuffer(filled + want, preserve: filled);
            var got = await ReadAtMost(_buffer.AsMemory(filled, want), sync, cancellationToken).ConfigureAwait(false);
            filled += got;
            if (got < want)
            {
                break;
            }
        }

        return filled;
    }

    private void EnsureBuffer(int size, int preserve)
    {
        if (_buffer.Length >= size)
        {
            return;
        }

        var rent = size <= PooledBufferLimit;
        var bigger = rent ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
        _buffer.AsSpan(0, preserve).CopyTo(bigger);
        ReleaseBuffer();
        _buffer = bigger;
        _bufferRented = rent;
    }

    private void ReleaseBuffer()
    {
        if (_bufferRented)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = [];
        _bufferRented = false;
    }

    // What is left of a seekable stream (the bound every length field is checked against), or null for a pipe.
    private long? Remaining()
    {
        try
        {
            return _stream.CanSeek ? _stream.Length - _stream.Position : null;
        }
        catch (IOException ex)
        {
            throw new WarmupFormatException(WarmupErrorKind.Io, $"read failed: {ex.Message}", _displayName, _nextIndex, _position, ex);
        }
    }

    private async ValueTask<int> ReadAtMost(Memory<byte> destination, bool sync, CancellationToken cancellationToken)
    {
        var total = 0;
        try
        {
            while (total < destination.Length)
            {
                var got = sync
                    ? _stream.Read(destination.Span[total..])
                    : await _stream.ReadAsync(destination[total..], cancellationToken).ConfigureAwait(false);
                if (got == 0)
                {
                    break;
                }

                total += got;
            }
        }
        catch (IOException ex)
        {
            throw new WarmupFormatException(WarmupErrorKind.Io, $"read failed: {ex.Message}", _displayName, _nextIndex, _position, ex);
        }

        return total;
    }

    private WarmupFormatException Error(WarmupErrorKind kind, long index, long offset, string problem) =>
        new(kind, problem, _displayName, index, offset);

    private readonly record struct RecordHeader(long Index, long Offset, int Size, bool LengthChecked);

    // One record's payload as a sequence of window-sized pieces that are read from the stream, into the reader's one
    // window buffer, only when the parser asks for their bytes, and added to the running CRC as they arrive. Google.Protobuf
    // reads a sequence strictly forward, taking each piece's span once when it moves to it, so one buffer serves them all.
    private sealed class StreamedPayload
    {
        private readonly TfRecordReader _reader;
        private readonly RecordHeader _header;
        private readonly int _window;
        private int _loaded = -1;
        private int _delivered;

        public StreamedPayload(TfRecordReader reader, RecordHeader header, int window)
        {
            _reader = reader;
            _header = header;
            _window = Math.Min(window, header.Size);
            reader.EnsureBuffer(_window, preserve: 0);

            var first = new Piece(this, 0, Math.Min(_window, header.Size), 0);
            var last = first;
            for (var index = 1; (long)index * _window < header.Size; index++)
            {
                var start = (long)index * _window;
                last = last.Append(new Piece(this, index, (int)Math.Min(_window, header.Size - start), start));
            }

            Sequence = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }

        public ReadOnlySequence<byte> Sequence { get; }

        // CRC-32C (unmasked) of the bytes read so far.
        public uint Crc { get; private set; }

        // Reads what the parser left unread (after a parse error), so the CRC covers the whole record.
        public void ReadRest()
        {
            while (_delivered < _header.Size)
            {
                Load(_loaded + 1, Math.Min(_window, _header.Size - _delivered));
            }
        }

        public Span<byte> Load(int index, int length)
        {
            var window = _reader._buffer.AsSpan(0, length);
            if (index == _loaded)
            {
                return window;
            }

            if (index != _loaded + 1)
            {
                // Google.Protobuf never goes back; if a version ever did, the window would no longer hold that piece.
                throw new UnreachableException($"piece {index} of a streamed record was requested after piece {_loaded}.");
            }

            var got = Sync(_reader.ReadAtMost(_reader._buffer.AsMemory(0, length), sync: true, CancellationToken.None));
            if (_reader._options.VerifyDataCrc)
            {
                Crc = MaskedCrc32C.Append(Crc, window[..got]);
            }

            _delivered += got;
            if (got < length)
            {
                // The stream ended before its length said it would (it shrank while being read).
                throw _reader.TruncatedData(_header, _delivered);
            }

            _loaded = index;
            return window;
        }
    }

    private sealed class Piece : ReadOnlySequenceSegment<byte>
    {
        public Piece(StreamedPayload payload, int index, int length, long start)
        {
            Memory = new PieceMemory(payload, index, length).Memory;
            RunningIndex = start;
        }

        public Piece Append(Piece next)
        {
            Next = next;
            return next;
        }
    }

    // The memory of one piece: its span is the window, filled with the piece's bytes when first asked for.
    private sealed class PieceMemory(StreamedPayload payload, int index, int length) : MemoryManager<byte>
    {
        // Not the base Memory property: that would ask for the span, reading the piece too early.
        public override Memory<byte> Memory => CreateMemory(length);

        public override Span<byte> GetSpan() => payload.Load(index, length);

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException("A streamed record cannot be pinned.");

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
