using System.Text.Json;
using Warmup.Format.Tensors;

namespace Warmup.Format.Json;

/// <summary>
/// Reads the <c>"records"</c> array of a JSON warmup file one element at a time, so memory is bounded by the largest record,
/// not by the file. Other root properties are skipped; syntax errors raise <see cref="JsonException"/> with the line and byte
/// position in the file.
/// </summary>
internal sealed class JsonRecordReader(Stream stream, string? path, TensorLimits limits)
{
    // A record's JSON may hold its bytes in base64 and its values as text: several times the record, never unbounded.
    private readonly long _maxRecordText = Math.Min(Array.MaxLength, Math.Max(64L << 20, limits.MaxRecordBytes * 8));

    private enum Phase { BeforeRoot, InRoot, InRecords, AfterRoot, Done }

    private enum Step { Continue, NeedMore, Record, End }

    private byte[] _buffer = new byte[1 << 16];
    private int _start;
    private int _end;
    private bool _final;
    private bool _sawRecords;
    private Phase _phase = Phase.BeforeRoot;
    private JsonReaderState _state = new(new JsonReaderOptions { MaxDepth = 64 });

    /// <summary>Set when the root is not an object with a <c>"records"</c> array.</summary>
    public bool ShapeError { get; private set; }

    /// <summary>
    /// For the record <see cref="Next"/> returned last, the raw length of its <c>"bytes"</c> string when the record is large
    /// enough to exceed the budget (<see cref="JsonRecordDecoder.LargeBytesField"/>), measured while its text is at hand.
    /// </summary>
    public long? EncodedBytesLength { get; private set; }

    /// <summary>The next record, or null at the end (or when <see cref="ShapeError"/> is set).</summary>
    public JsonDocument? Next()
    {
        while (true)
        {
            switch (Advance(out var record))
            {
                case Step.Record:
                    return record;
                case Step.End:
                    return null;
                case Step.NeedMore:
                    Fill();
                    break;
            }
        }
    }

    // One atomic step from the last committed position; on NeedMore nothing is committed and the step is retried with more data.
    private Step Advance(out JsonDocument? record)
    {
        record = null;
        var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _final, _state);
        switch (_phase)
        {
            case Phase.BeforeRoot:
                if (!reader.Read())
                {
                    return Step.NeedMore;
                }

                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return Fail();
                }

                _phase = Phase.InRoot;
                break;
            case Phase.InRoot:
                if (!reader.Read())
                {
                    return Step.NeedMore;
                }

                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    if (!_sawRecords)
                    {
                        return Fail();
                    }

                    _phase = Phase.AfterRoot;
                    break;
                }

                var isRecords = reader.ValueTextEquals("records"u8);
                if (!reader.Read())
                {
                    return Step.NeedMore;
                }

                if (isRecords)
                {
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        return Fail();
                    }

                    _sawRecords = true;
                    _phase = Phase.InRecords;
                }
                else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip())
                {
                    return Step.NeedMore;
                }

                break;
            case Phase.InRecords:
                if (!reader.Read())
                {
                    return Step.NeedMore;
                }

                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    _phase = Phase.InRoot;
                    break;
                }

                var recordStart = (int)reader.TokenStartIndex;
                if (!JsonDocument.TryParseValue(ref reader, out record))
                {
                    return Step.NeedMore;
                }

                EncodedBytesLength = JsonRecordDecoder.LargeBytesField(_buffer.AsSpan(_start + recordStart, (int)reader.BytesConsumed - recordStart), limits);

                Commit(ref reader);
                return Step.Record;
            case Phase.AfterRoot:
                if (reader.Read())
                {
                    return Fail();
                }

                if (!_final)
                {
                    return Step.NeedMore;
                }

                _phase = Phase.Done;
                return Step.End;
            default:
                return Step.End;
        }

        Commit(ref reader);
        return Step.Continue;
    }

    private Step Fail()
    {
        ShapeError = true;
        _phase = Phase.Done;
        return Step.End;
    }

    private void Commit(ref Utf8JsonReader reader)
    {
        _start += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
    }

    private void Fill()
    {
        if (_final)
        {
            // The reader throws on incomplete input in the final block, so this is never reached with data pending.
            throw new JsonException("unexpected end of the JSON file.");
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // One token or record is larger than the buffer: grow it (bounded by the largest record, and by the budget).
            if (_buffer.Length >= _maxRecordText)
            {
                throw new WarmupFormatException(WarmupErrorKind.InvalidTensor, $"a record's JSON is larger than {RecordBudget.FormatBytes(_maxRecordText)}, far beyond the " +
                    $"per-record budget of {RecordBudget.FormatBytes(limits.MaxRecordBytes)}. Split the record, or raise --max-record-mib.", path);
            }

            Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, (long)_buffer.Length * 2));
        }

        var read = stream.Read(_buffer, _end, _buffer.Length - _end);
        _end += read;
        _final = read == 0;
    }
}
