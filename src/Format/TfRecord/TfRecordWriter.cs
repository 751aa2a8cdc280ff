using System.Buffers.Binary;

namespace Warmup.Format.TfRecord;

/// <summary>
/// Writes TFRecord framing to a stream: <c>uint64 length | masked crc32c(length) | data | masked crc32c(data)</c>,
/// little-endian, with no file header or trailer.
/// </summary>
public sealed class TfRecordWriter : IDisposable, IAsyncDisposable
{
    /// <summary>Bytes of framing around each record's data (12-byte header, 4-byte footer).</summary>
    public const int FramingBytes = HeaderBytes + FooterBytes;

    internal const int HeaderBytes = 12;
    internal const int FooterBytes = 4;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _header = new byte[HeaderBytes];
    private readonly byte[] _footer = new byte[FooterBytes];

    /// <summary>Creates a writer over <paramref name="stream"/>.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="leaveOpen">Whether disposing the writer leaves <paramref name="stream"/> open.</param>
    public TfRecordWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        }

        _stream = stream;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Number of records written so far.</summary>
    public long RecordsWritten { get; private set; }

    /// <summary>Number of bytes written so far, framing included.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Writes one record.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        FillFraming(data);
        _stream.Write(_header);
        _stream.Write(data);
        _stream.Write(_footer);
        Count(data.Length);
    }

    /// <summary>Writes one record asynchronously.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        FillFraming(data.Span);
        await _stream.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(_footer, cancellationToken).ConfigureAwait(false);
        Count(data.Length);
    }

    /// <summary>Flushes the underlying stream.</summary>
    public void Flush() => _stream.Flush();

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _leaveOpen ? ValueTask.CompletedTask : _stream.DisposeAsync();

    private void FillFraming(ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(8), MaskedCrc32C.ComputeMasked(_header.AsSpan(0, 8)));
        BinaryPrimitives.WriteUInt32LittleEndian(_footer, MaskedCrc32C.ComputeMasked(data));
    }

    private void Count(int length)
    {
        RecordsWritten++;
        BytesWritten += length + FramingBytes;
    }
}
