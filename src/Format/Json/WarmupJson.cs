using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Tensors;
using Warmup.Format.TfRecord;

namespace Warmup.Format.Json;

/// <summary>
/// One record read back from JSON by <see cref="WarmupJson.Read"/>.
/// </summary>
/// <param name="Index">The record's zero-based position in <c>"records"</c>.</param>
/// <param name="Log">The record.</param>
/// <param name="Bytes">Its serialized bytes, what a TFRecord file stores: the record's <c>"bytes"</c> as given (so TFRecord →
/// JSON → TFRecord is byte-identical), or the deterministic serialization of the record rebuilt from its readable fields.</param>
public sealed record WarmupJsonRecord(long Index, PredictionLog Log, ReadOnlyMemory<byte> Bytes);

/// <summary>
/// The lossless JSON form of warmup records, which <c>warmup inspect --json</c> and <c>warmup convert</c> read and write
/// (docs/cli.md, "JSON ↔ TFRecord"). A record is an object
/// <c>{"index","offset","length","logType","model":{…},"inputs":{name:{"dtype","shape","values"}}}</c> — classify, regress and
/// multi-inference records carry <c>"examples"</c> instead of <c>"inputs"</c> — and, in the lossless form, <c>"bytes"</c>: its
/// exact serialized PredictionLog in base64. Read back, <c>"bytes"</c> is taken as it is once the readable fields are checked
/// to still describe it; without <c>"bytes"</c> the record is rebuilt from its readable fields, which is how a file written
/// by hand becomes a warmup file. A file is <c>{"file","records":[…],"summary":{"records"}}</c>. Every bad input is one
/// <see cref="WarmupFormatException"/> naming the file, the record and the field.
/// </summary>
public static class WarmupJson
{
    /// <summary>What <see cref="Write"/> and <see cref="Serialize"/> use: indented, and non-ASCII text left readable (é, &lt;, &gt;).</summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Writes <paramref name="record"/>'s object, without <c>"bytes"</c>: its position, then its readable fields.
    /// </summary>
    /// <param name="writer">Where the object goes.</param>
    /// <param name="record">The record (its index, offset and length are written as they are).</param>
    /// <param name="maxValues">At most this many values per tensor (the first in row-major order, TensorFlow's fill rule applied)
    /// and per feature, for a preview; null writes the values as stored, with a fill-rule tensor kept compact.</param>
    /// <remarks>A tensor whose values cannot be decoded gets <c>"error"</c> in place of <c>"values"</c>.</remarks>
    public static void WriteRecord(Utf8JsonWriter writer, WarmupRecord record, int? maxValues = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(record);
        if (maxValues is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxValues), maxValues, "maxValues must be null or non-negative.");
        }

        JsonRecordWriter.WriteRecord(writer, record.Index, record.Offset, record.Length, record.Log, maxValues, withBytes: false, default);
    }

    /// <summary>
    /// Writes the record whose exact serialized bytes are <paramref name="bytes"/>, losslessly: its position, its readable
    /// fields with every value as stored, and <c>"bytes"</c>.
    /// </summary>
    /// <param name="writer">Where the object goes.</param>
    /// <param name="bytes">The record's serialized PredictionLog, as a TFRecord file holds it.</param>
    /// <param name="index">The record's zero-based index.</param>
    /// <param name="offset">The record's byte offset in its TFRecord file.</param>
    /// <param name="displayName">The file's name for errors.</param>
    /// <exception cref="WarmupFormatException"><paramref name="bytes"/> is not a PredictionLog (<see cref="WarmupErrorKind.ParseError"/>).</exception>
    public static void WriteRecord(Utf8JsonWriter writer, ReadOnlySpan<byte> bytes, long index, long offset, string? displayName = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var log = WarmupFile.ParseRecord(bytes, index, offset, displayName);
        JsonRecordWriter.WriteRecord(writer, index, offset, bytes.Length, log, maxValues: null, withBytes: true, bytes);
    }

    /// <summary>
    /// Writes the records of a warmup file as one lossless JSON document, <c>{"file","records":[…],"summary":{"records"}}</c>,
    /// indented and ending with a newline; the offsets are those of the equivalent TFRecord file. <see cref="Read"/> gives the
    /// same bytes back.
    /// </summary>
    /// <param name="output">Where the document goes (written in chunks, so a large file never sits whole in memory).</param>
    /// <param name="records">Each record's serialized PredictionLog, as a TFRecord file holds it (e.g. <see cref="TfRecordEntry.Data"/>).</param>
    /// <param name="source">The value of <c>"file"</c>: the warmup file's name, and the display name in errors.</param>
    /// <returns>The number of records written.</returns>
    /// <exception cref="WarmupFormatException">A record is not a PredictionLog.</exception>
    public static int Write(Stream output, IEnumerable<ReadOnlyMemory<byte>> records, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(records);
        var count = 0;
        using (var w = new Utf8JsonWriter(output, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("file", source);
            w.WriteStartArray("records");
            long offset = 0;
            foreach (var bytes in records)
            {
                WriteRecord(w, bytes.Span, count, offset, source);
                offset += bytes.Length + TfRecordWriter.FramingBytes;
                count++;
                if (w.BytesPending > 1 << 16)
                {
                    w.Flush();
                }
            }

            w.WriteEndArray();
            w.WriteStartObject("summary");
            w.WriteNumber("records", count);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        output.WriteByte((byte)'\n');
        return count;
    }

    /// <summary>
    /// One record as a lossless, indented JSON object: its readable fields and <c>"bytes"</c> (its deterministic
    /// serialization), without positional fields. <see cref="Parse"/> gives <paramref name="log"/> back.
    /// </summary>
    public static string Serialize(PredictionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var bytes = DeterministicProto.Serialize(log);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            JsonRecordWriter.WriteView(w, log, maxValues: null);
            w.WriteBase64String("bytes", bytes);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Reads one record's JSON object: from its <c>"bytes"</c> when present (refused when the readable fields no longer
    /// describe them), otherwise rebuilt from its readable fields (predict, classify, regress, multiInference or none).
    /// Positional fields are ignored.
    /// </summary>
    /// <param name="json">The record's object, e.g. from <see cref="Serialize"/> or one element of a file's <c>"records"</c>.</param>
    /// <param name="limits">The per-record budget (<see cref="TensorLimits.MaxRecordBytes"/>); default <see cref="TensorLimits.Default"/>.</param>
    /// <exception cref="WarmupFormatException">The JSON is malformed (its <see cref="Exception.InnerException"/> is then the
    /// <see cref="JsonException"/> with the line and byte position), a field is missing or wrong (the message names it), or
    /// the record exceeds the budget.</exception>
    public static PredictionLog Parse(string json, TensorLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        limits ??= TensorLimits.Default;
        var utf8 = Encoding.UTF8.GetBytes(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw SyntaxError(null, ex);
        }

        using (document)
        {
            return JsonRecordDecoder.Decode(document.RootElement, null, null, limits, JsonRecordDecoder.LargeBytesField(utf8, limits)).Log;
        }
    }

    /// <summary>
    /// Reads the records of a JSON document (<c>{"records":[…]}</c>, other root properties skipped) one at a time, so memory
    /// is bounded by the largest record, not by the file. Each record is read as <see cref="Parse"/> reads one.
    /// </summary>
    /// <param name="utf8Json">The document, UTF-8.</param>
    /// <param name="displayName">The file's name in errors.</param>
    /// <param name="limits">The per-record budget; default <see cref="TensorLimits.Default"/>.</param>
    /// <exception cref="WarmupFormatException">The document is malformed (<see cref="WarmupErrorKind.ParseError"/>; its
    /// <see cref="Exception.InnerException"/> is the <see cref="JsonException"/> with the line and byte position), is not an
    /// object with a <c>"records"</c> array, or a record is bad (the message names the record and the field).</exception>
    public static IEnumerable<WarmupJsonRecord> Read(Stream utf8Json, string? displayName = null, TensorLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        return ReadCore(utf8Json, displayName, limits ?? TensorLimits.Default);
    }

    private static IEnumerable<WarmupJsonRecord> ReadCore(Stream stream, string? displayName, TensorLimits limits)
    {
        var reader = new JsonRecordReader(stream, displayName, limits);
        var position = 0L;
        while (true)
        {
            JsonDocument? record;
            try
            {
                record = reader.Next();
            }
            catch (JsonException ex)
            {
                throw SyntaxError(displayName, ex);
            }

            if (reader.ShapeError)
            {
                throw new WarmupFormatException(WarmupErrorKind.ParseError,
                    "expected an object with a \"records\" array, as 'warmup convert <file> <out.json>' writes.", displayName);
            }

            if (record is null)
            {
                yield break;
            }

            using (record)
            {
                var (log, bytes) = JsonRecordDecoder.Decode(record.RootElement, displayName, position, limits, reader.EncodedBytesLength);
                yield return new WarmupJsonRecord(position++, log, bytes);
            }
        }
    }

    /// <summary>What is wrong with malformed JSON, without its location (which <paramref name="ex"/> carries).</summary>
    internal static string SyntaxProblem(JsonException ex) =>
        $"not valid JSON ({ex.Message.Split(" LineNumber")[0].TrimEnd('.', ' ')}). Expected the output of 'warmup convert <file> <out.json>' or 'warmup inspect --json'.";

    private static WarmupFormatException SyntaxError(string? displayName, JsonException ex) =>
        new(WarmupErrorKind.ParseError, $"line {(ex.LineNumber ?? 0) + 1}, column {(ex.BytePositionInLine ?? 0) + 1}: {SyntaxProblem(ex)}", displayName, innerException: ex);
}
