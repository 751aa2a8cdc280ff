using System.Buffers.Binary;

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
}

/// <summary>
/// Streaming TFRecord reader. It never buffers the whole file: it holds one record at a time in one reused buffer,
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

    // One buffer, reused for every record and grown to the exact size of the largest one so far: peak memory while
    // reading stays at the largest record (plus its parsed form), rather than the next power of two a pool would round to.
    private byte[] _buffer = [];
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
        _buffer = [];
        Current = default;
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private async ValueTask<bool> MoveNextCore(bool sync, CancellationToken cancellationToken)
    {
        var index = _nextIndex;
        var offset = _position;

        var got = await ReadAtMost(_header, sync, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            Current = default;
            return false;
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

        var size = (int)length;
        var data = await ReadPayload(size, remaining is not null, sync, cancellationToken).ConfigureAwait(false);
        if (data == size)
        {
            data += await ReadAtMost(_footer, sync, cancellationToken).ConfigureAwait(false);
        }

        if (data < size + TfRecordWriter.FooterBytes)
        {
            throw Error(WarmupErrorKind.TruncatedData, index, offset,
                $"truncated record: the header promises {size} data byte(s) plus a 4-byte CRC, but the file ends after {data}. " +
                "Rewrite the file; it was cut short.");
        }

        var payload = _buffer.AsMemory(0, size);
        if (_options.VerifyDataCrc)
        {
            var storedDataCrc = BinaryPrimitives.ReadUInt32LittleEndian(_footer);
            if (MaskedCrc32C.ComputeMasked(payload.Span) != storedDataCrc)
            {
                throw Error(WarmupErrorKind.DataCrc, index, offset,
                    $"data CRC mismatch in a {size}-byte record: the record is corrupt. Rewrite the file.");
            }
        }

        _position = offset + TfRecordWriter.HeaderBytes + size + TfRecordWriter.FooterBytes;
        _nextIndex = index + 1;
        Current = new TfRecordEntry(index, offset, payload);
        return true;
    }

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

        var bigger = GC.AllocateUninitializedArray<byte>(size);
        _buffer.AsSpan(0, preserve).CopyTo(bigger);
        _buffer = bigger;
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
}
