using System.Text.Json;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Tensors;

namespace Warmup.Format.Json;

/// <summary>
/// Turns one JSON record back into a PredictionLog and its serialized bytes: its <c>"bytes"</c> when present (after
/// checking that the readable fields still describe them), otherwise a PredictionLog rebuilt from the readable fields.
/// </summary>
internal static class JsonRecordDecoder
{
    /// <summary>Positional fields: they describe where a record sat, not what it holds, and are not compared.</summary>
    private static readonly HashSet<string> PositionalFields = ["index", "offset", "length", "bytes"];

    /// <summary>Decodes <paramref name="record"/>; every error is a <see cref="WarmupFormatException"/> located at <paramref name="file"/> and <paramref name="position"/>.</summary>
    /// <param name="record">The record's JSON object.</param>
    /// <param name="file">The file's display name, for errors.</param>
    /// <param name="position">The record's index in <c>"records"</c>, for errors.</param>
    /// <param name="limits">The per-record budget.</param>
    /// <param name="encodedBytesLength">The raw length of the record's <c>"bytes"</c> string, from <see cref="LargeBytesField"/>:
    /// null when the record's JSON is too small for it to exceed the budget.</param>
    public static (PredictionLog Log, byte[] Bytes) Decode(JsonElement record, string? file, long? position, TensorLimits limits, long? encodedBytesLength)
    {
        try
        {
            return DecodeCore(record, limits, encodedBytesLength);
        }
        catch (WarmupFormatException ex)
        {
            throw new WarmupFormatException(ex.Kind, ex.Problem, file, position, null, ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException or KeyNotFoundException)
        {
            // A value of the wrong JSON type (a string where a number belongs, invalid UTF-8 in a string…).
            throw new WarmupFormatException(WarmupErrorKind.ParseError,
                $"a field has the wrong type or an invalid value ({ex.Message.TrimEnd('.')}). Compare it with what 'warmup convert <file> <out.json>' writes.",
                file, position, null, ex);
        }
    }

    /// <summary>
    /// The raw length of the top-level <c>"bytes"</c> string of <paramref name="recordJson"/> (one record's JSON), so that a
    /// budget check can refuse it before decoding; null when the whole record is too small to exceed
    /// <paramref name="limits"/>' budget, so nothing needs scanning.
    /// </summary>
    public static long? LargeBytesField(ReadOnlySpan<byte> recordJson, TensorLimits limits)
    {
        // Base64 holds 3 bytes per 4 characters, and "bytes" is part of the record.
        if (recordJson.Length / 4m * 3 <= limits.MaxRecordBytes)
        {
            return null;
        }

        var reader = new Utf8JsonReader(recordJson, new JsonReaderOptions { MaxDepth = 64 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return 0;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isBytes = reader.ValueTextEquals("bytes"u8);
            reader.Read();
            if (isBytes && reader.TokenType == JsonTokenType.String)
            {
                return reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
            }

            reader.Skip();
        }

        return 0;
    }

    private static (PredictionLog Log, byte[] Bytes) DecodeCore(JsonElement record, TensorLimits limits, long? encodedBytesLength)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("is not a JSON object.");
        }

        if (record.TryGetProperty("bytes", out var bytesElement))
        {
            if (bytesElement.ValueKind != JsonValueKind.String)
            {
                throw Invalid("\"bytes\" is not a base64 string.");
            }

            // Checked before decoding: base64 holds 3 bytes per 4 characters.
            if (encodedBytesLength is { } encoded && encoded / 4m * 3 > limits.MaxRecordBytes)
            {
                throw new WarmupFormatException(WarmupErrorKind.InvalidTensor,
                    $"\"bytes\" holds about {RecordBudget.FormatBytes(encoded / 4m * 3)}, above the per-record budget of " +
                    $"{RecordBudget.FormatBytes(limits.MaxRecordBytes)}. Raise --max-record-mib if the record is meant to be this large.");
            }

            if (!bytesElement.TryGetBytesFromBase64(out var bytes))
            {
                throw Invalid("\"bytes\" is not a base64 string.");
            }

            PredictionLog log;
            try
            {
                log = WarmupFile.ParseRecord(bytes, 0, 0);
                RecordBudget.Check(log, limits);
            }
            catch (WarmupFormatException ex)
            {
                throw new WarmupFormatException(ex.Kind, $"\"bytes\": {ex.Problem}", innerException: ex);
            }

            var difference = FirstDifference(record, ViewOf(log));
            if (difference is not null)
            {
                throw Invalid($"the readable fields differ from \"bytes\" at {difference}. Remove \"bytes\" to rebuild the record from the readable fields, or undo the edit.");
            }

            return (log, bytes);
        }

        var rebuilt = JsonRecordBuilder.FromView(record);
        RecordBudget.Check(rebuilt, limits);
        return (rebuilt, DeterministicProto.Serialize(rebuilt));
    }

    private static JsonElement ViewOf(PredictionLog log)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            JsonRecordWriter.WriteView(w, log, maxValues: null);
            w.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    /// <summary>The path of the first semantic difference (numbers compared by value, key order ignored), or null.</summary>
    private static string? FirstDifference(JsonElement given, JsonElement expected, string path = "", bool top = true)
    {
        if (given.ValueKind != expected.ValueKind)
        {
            return Display(path);
        }

        switch (given.ValueKind)
        {
            case JsonValueKind.Object:
                var givenNames = given.EnumerateObject().Select(p => p.Name).Where(n => !top || !PositionalFields.Contains(n)).ToHashSet(StringComparer.Ordinal);
                foreach (var property in expected.EnumerateObject())
                {
                    var child = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if (!given.TryGetProperty(property.Name, out var value))
                    {
                        return Display(child);
                    }

                    givenNames.Remove(property.Name);
                    if (FirstDifference(value, property.Value, child, top: false) is { } difference)
                    {
                        return difference;
                    }
                }

                return givenNames.Count > 0 ? Display(path.Length == 0 ? givenNames.First() : $"{path}.{givenNames.First()}") : null;
            case JsonValueKind.Array:
                if (given.GetArrayLength() != expected.GetArrayLength())
                {
                    return Display(path) + " (length)";
                }

                var i = 0;
                foreach (var (a, b) in given.EnumerateArray().Zip(expected.EnumerateArray()))
                {
                    if (FirstDifference(a, b, $"{path}[{i++}]", top: false) is { } difference)
                    {
                        return difference;
                    }
                }

                return null;
            case JsonValueKind.Number:
                var same = given.TryGetInt64(out var x) && expected.TryGetInt64(out var y)
                    ? x == y
                    : given.GetDouble().Equals(expected.GetDouble());
                return same ? null : Display(path);
            case JsonValueKind.String:
                return given.GetString() == expected.GetString() ? null : Display(path);
            default:
                return null;
        }

        static string Display(string path) => path.Length == 0 ? "the record" : $"\"{path}\"";
    }

    private static WarmupFormatException Invalid(string problem) => new(WarmupErrorKind.ParseError, problem);
}
