using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Cli;

/// <summary>
/// The JSON view of warmup records, shared by <c>inspect --json</c> and <c>convert</c>:
/// <c>{"index","offset","length","logType","model":{…},"inputs":{name:{"dtype","shape","values"}}}</c>; classify, regress and
/// multi-inference records carry <c>"examples"</c> instead of <c>"inputs"</c>. <c>convert</c> adds <c>"bytes"</c>: the record's
/// exact serialized bytes in base64, which make the round trip byte-identical.
/// </summary>
internal static class RecordJson
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Positional fields: they describe where a record sat, not what it holds, and are not compared.</summary>
    private static readonly HashSet<string> PositionalFields = ["index", "offset", "length", "bytes"];

    public static void WriteRecord(Utf8JsonWriter w, long index, long offset, int length, PredictionLog log, int? maxValues, byte[]? bytes)
    {
        w.WriteStartObject();
        w.WriteNumber("index", index);
        w.WriteNumber("offset", offset);
        w.WriteNumber("length", length);
        WriteView(w, log, maxValues);
        if (bytes is not null)
        {
            w.WriteBase64String("bytes", bytes);
        }

        w.WriteEndObject();
    }

    /// <summary>The readable fields of a record (everything but the positional ones).</summary>
    private static void WriteView(Utf8JsonWriter w, PredictionLog log, int? maxValues)
    {
        w.WriteString("logType", TfServing.LogTypeName(log.LogTypeCase));
        w.WritePropertyName("model");
        WriteModelSpec(w, TfServing.GetModelSpec(log));
        switch (log.LogTypeCase)
        {
            case PredictionLog.LogTypeOneofCase.PredictLog:
                WriteInputs(w, log.PredictLog.Request?.Inputs, maxValues);
                break;
            case PredictionLog.LogTypeOneofCase.ClassifyLog:
                WriteExamples(w, log.ClassifyLog.Request?.Input, maxValues);
                break;
            case PredictionLog.LogTypeOneofCase.RegressLog:
                WriteExamples(w, log.RegressLog.Request?.Input, maxValues);
                break;
            case PredictionLog.LogTypeOneofCase.MultiInferenceLog:
                w.WriteStartArray("tasks");
                foreach (var task in log.MultiInferenceLog.Request?.Tasks ?? [])
                {
                    w.WriteStartObject();
                    w.WriteString("method", task.MethodName);
                    w.WritePropertyName("model");
                    WriteModelSpec(w, task.ModelSpec);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                WriteExamples(w, log.MultiInferenceLog.Request?.Input, maxValues);
                break;
            case PredictionLog.LogTypeOneofCase.SessionRunLog:
                w.WriteStartArray("feeds");
                foreach (var feed in log.SessionRunLog.Request?.Feed ?? [])
                {
                    w.WriteStartObject();
                    w.WriteString("name", feed.Name);
                    w.WritePropertyName("tensor");
                    WriteTensor(w, feed.Tensor ?? new TensorProto(), $"feed \"{feed.Name}\"", maxValues);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case PredictionLog.LogTypeOneofCase.PredictStreamedLog:
                w.WriteStartArray("requests");
                foreach (var request in log.PredictStreamedLog.Request)
                {
                    w.WriteStartObject();
                    WriteInputs(w, request.Inputs, maxValues);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
        }
    }

    private static void WriteModelSpec(Utf8JsonWriter w, ModelSpec? spec)
    {
        if (spec is null)
        {
            w.WriteNullValue();
            return;
        }

        w.WriteStartObject();
        w.WriteString("name", spec.Name);
        w.WriteString("signatureName", spec.SignatureName);
        if (spec.VersionChoiceCase == ModelSpec.VersionChoiceOneofCase.Version)
        {
            w.WriteNumber("version", spec.Version.GetValueOrDefault());
        }
        else
        {
            w.WriteNull("version");
        }

        if (spec.VersionChoiceCase == ModelSpec.VersionChoiceOneofCase.VersionLabel)
        {
            w.WriteString("versionLabel", spec.VersionLabel);
        }

        w.WriteEndObject();
    }

    private static void WriteInputs(Utf8JsonWriter w, MapField<string, TensorProto>? inputs, int? maxValues)
    {
        w.WriteStartObject("inputs");
        foreach (var (name, tensor) in (inputs ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WritePropertyName(name);
            WriteTensor(w, tensor, $"input \"{name}\"", maxValues);
        }

        w.WriteEndObject();
    }

    /// <summary>Writes <c>{"dtype","shape","values"}</c>, or <c>"error"</c> in place of values when the tensor cannot be decoded.</summary>
    private static void WriteTensor(Utf8JsonWriter w, TensorProto tensor, string what, int? maxValues)
    {
        w.WriteStartObject();
        w.WriteString("dtype", DTypes.Name(tensor.Dtype));
        if (tensor.TensorShape is { UnknownRank: true })
        {
            w.WriteNull("shape");
        }
        else
        {
            w.WritePropertyName("shape");
            WriteValues(w, TensorShapes.FromProto(tensor.TensorShape));
        }

        try
        {
            // Without a preview limit (convert), the values as stored: a fill-rule tensor keeps its compact form.
            var values = maxValues is null ? TensorPreview.Stored(tensor, what) : TensorPreview.Decode(tensor, what, maxValues);
            w.WritePropertyName("values");
            WriteValues(w, values.Values);
        }
        catch (WarmupFormatException ex)
        {
            w.WriteString("error", ex.Problem);
        }

        w.WriteEndObject();
    }

    /// <summary>Writes the values as one compact array (one line even in indented output), so long tensors stay readable.</summary>
    public static void WriteValues(Utf8JsonWriter w, Array values)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var compact = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JsonOutput.WriterOptions.Encoder }))
        {
            WriteValuesCore(compact, values);
        }

        w.WriteRawValue(buffer.WrittenSpan, skipInputValidation: true);
    }

    private static void WriteValuesCore(Utf8JsonWriter w, Array values)
    {
        w.WriteStartArray();
        // Dispatch on the exact array type: the CLR lets a uint[] pass as int[] (and ulong[] as long[], byte[] as sbyte[]…),
        // so type patterns would print unsigned values as signed ones.
        var type = values.GetType().GetElementType();
        if (type == typeof(float)) { foreach (var v in (float[])values) { WriteFloating(w, v); } }
        else if (type == typeof(double)) { foreach (var v in (double[])values) { WriteFloating(w, v); } }
        else if (type == typeof(Half)) { foreach (var v in (Half[])values) { WriteFloating(w, (float)v); } }
        else if (type == typeof(BFloat16)) { foreach (var v in (BFloat16[])values) { WriteFloating(w, v.ToSingle()); } }
        else if (type == typeof(int)) { foreach (var v in (int[])values) { w.WriteNumberValue(v); } }
        else if (type == typeof(long)) { foreach (var v in (long[])values) { w.WriteNumberValue(v); } }
        else if (type == typeof(short)) { foreach (var v in (short[])values) { w.WriteNumberValue(v); } }
        else if (type == typeof(sbyte)) { foreach (var v in (sbyte[])values) { w.WriteNumberValue(v); } }
        else if (type == typeof(byte)) { foreach (var v in (byte[])values) { w.WriteNumberValue(v); } }
        else if (type == typeof(ushort)) { foreach (var v in (ushort[])values) { w.WriteNumberValue(v); } }
        else if (type == typeof(uint)) { foreach (var v in (uint[])values) { w.WriteNumberValue(v); } }
        else if (type == typeof(ulong)) { foreach (var v in (ulong[])values) { w.WriteNumberValue(v); } }
        else if (type == typeof(bool)) { foreach (var v in (bool[])values) { w.WriteBooleanValue(v); } }
        else if (type == typeof(byte[])) { foreach (var v in (byte[][])values) { WriteBytes(w, v); } }
        else { throw new InvalidOperationException($"No JSON form for {values.GetType().Name}."); }

        w.WriteEndArray();
    }

    // JSON has no NaN or infinities: they are written as the strings "NaN", "Infinity" and "-Infinity".
    private static void WriteFloating(Utf8JsonWriter w, float v)
    {
        if (float.IsFinite(v))
        {
            w.WriteNumberValue(v);
        }
        else
        {
            w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteFloating(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v))
        {
            w.WriteNumberValue(v);
        }
        else
        {
            w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Byte strings: a JSON string when they are valid UTF-8, otherwise <c>{"base64": "…"}</c>.</summary>
    public static void WriteBytes(Utf8JsonWriter w, ReadOnlySpan<byte> bytes)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            w.WriteStartObject();
            w.WriteBase64String("base64", bytes);
            w.WriteEndObject();
            return;
        }

        w.WriteStringValue(text);
    }

    public static string FormatBytes(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return "\"" + JsonEncodedText.Encode(StrictUtf8.GetString(bytes), System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value + "\"";
        }
        catch (DecoderFallbackException)
        {
            return "base64:" + Convert.ToBase64String(bytes);
        }
    }

    private static void WriteExamples(Utf8JsonWriter w, Input? input, int? maxValues)
    {
        w.WriteStartArray("examples");
        var examples = input?.KindCase switch
        {
            Input.KindOneofCase.ExampleList => input.ExampleList.Examples,
            Input.KindOneofCase.ExampleListWithContext => input.ExampleListWithContext.Examples,
            _ => null,
        };
        foreach (var example in examples ?? [])
        {
            WriteFeatures(w, example);
        }

        w.WriteEndArray();
        if (input?.KindCase == Input.KindOneofCase.ExampleListWithContext)
        {
            w.WritePropertyName("context");
            WriteFeatures(w, input.ExampleListWithContext.Context ?? new Example());
        }
    }

    private static void WriteFeatures(Utf8JsonWriter w, Example example)
    {
        w.WriteStartObject();
        foreach (var (name, feature) in (example.Features?.Feature ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject(name);
            switch (feature.KindCase)
            {
                case Feature.KindOneofCase.FloatList:
                    w.WriteString("type", "float");
                    WriteValues(w, "values", feature.FloatList.Value.ToArray());
                    break;
                case Feature.KindOneofCase.Int64List:
                    w.WriteString("type", "int64");
                    WriteValues(w, "values", feature.Int64List.Value.ToArray());
                    break;
                case Feature.KindOneofCase.BytesList:
                    w.WriteString("type", "bytes");
                    WriteValues(w, "values", feature.BytesList.Value.Select(v => v.ToByteArray()).ToArray());
                    break;
                default:
                    w.WriteString("type", "none");
                    break;
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteValues(Utf8JsonWriter w, string name, Array values)
    {
        w.WritePropertyName(name);
        WriteValues(w, values);
    }

    // ---- JSON → records -------------------------------------------------------------------------------------------

    /// <summary>
    /// The serialized bytes of one JSON record: its <c>"bytes"</c> when present (after checking that the readable fields
    /// still describe them), otherwise a PredictionLog rebuilt from the readable fields.
    /// </summary>
    public static byte[] ToBytes(JsonElement record, string file, int position, TensorLimits limits)
    {
        try
        {
            return ToBytesCore(record, file, position, limits);
        }
        catch (WarmupFormatException ex)
        {
            throw Invalid(file, position, ex.Problem);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException or KeyNotFoundException)
        {
            // A value of the wrong JSON type (a string where a number belongs, invalid UTF-8 in a string…).
            throw Invalid(file, position, $"a field has the wrong type or an invalid value ({ex.Message.TrimEnd('.')}). Compare it with what 'warmup convert <file> <out.json>' writes.");
        }
    }

    private static byte[] ToBytesCore(JsonElement record, string file, int position, TensorLimits limits)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(file, position, "is not a JSON object.");
        }

        if (record.TryGetProperty("bytes", out var bytesElement))
        {
            if (bytesElement.ValueKind != JsonValueKind.String)
            {
                throw Invalid(file, position, "\"bytes\" is not a base64 string.");
            }

            // Checked before decoding: base64 holds 3 bytes per 4 characters.
            var encoded = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(bytesElement).Length;
            if (encoded / 4m * 3 > limits.MaxRecordBytes)
            {
                throw Invalid(file, position, $"\"bytes\" holds about {RecordBudget.FormatBytes(encoded / 4m * 3)}, above the per-record budget of " +
                    $"{RecordBudget.FormatBytes(limits.MaxRecordBytes)}. Raise --max-record-mib if the record is meant to be this large.");
            }

            if (!bytesElement.TryGetBytesFromBase64(out var bytes))
            {
                throw Invalid(file, position, "\"bytes\" is not a base64 string.");
            }

            PredictionLog log;
            try
            {
                log = WarmupFile.ParseRecord(bytes, position, 0);
                RecordBudget.Check(log, limits);
            }
            catch (WarmupFormatException ex)
            {
                throw Invalid(file, position, $"\"bytes\": {ex.Problem}");
            }

            var difference = FirstDifference(record, ViewOf(log));
            if (difference is not null)
            {
                throw Invalid(file, position,
                    $"the readable fields differ from \"bytes\" at {difference}. Remove \"bytes\" to rebuild the record from the readable fields, or undo the edit.");
            }

            return bytes;
        }

        var rebuilt = RecordBuilder.FromView(record, file, position);
        try
        {
            RecordBudget.Check(rebuilt, limits);
        }
        catch (WarmupFormatException ex)
        {
            throw Invalid(file, position, ex.Problem);
        }

        return DeterministicProto.Serialize(rebuilt);
    }

    private static JsonElement ViewOf(PredictionLog log)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            WriteView(w, log, maxValues: null);
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

    private static CliException Invalid(string file, int position, string problem) =>
        CliException.Invalid($"{file}: record {position}: {problem}");
}

/// <summary>Decodes a tensor's first values without materializing the whole tensor.</summary>
internal static class TensorPreview
{
    /// <summary>
    /// The first <paramref name="maxValues"/> values (all when null) in row-major order, with TensorFlow's fill rule.
    /// Memory is bounded by the record, never by the shape.
    /// </summary>
    /// <summary>
    /// The values as the record stores them: every value of <c>tensor_content</c>, or the typed field as written (fewer
    /// than the shape holds under TensorFlow's fill rule). Memory is bounded by the record, never by the shape.
    /// </summary>
    public static TensorData Stored(TensorProto tensor, string what)
    {
        var dtype = DTypes.Get(tensor.Dtype);
        var stored = !dtype.IsString && !tensor.TensorContent.IsEmpty && dtype.ElementSize > 0
            ? tensor.TensorContent.Length / dtype.ElementSize
            : TensorProtoConverter.TypedField(tensor, dtype).Count;
        return Decode(tensor, what, stored, Unbounded);
    }

    // Only the stored values are decoded, so the shape's size needs no limit here.
    private static readonly TensorLimits Unbounded = new() { MaxElements = long.MaxValue, MaxBytes = long.MaxValue, MaxRecordBytes = long.MaxValue };

    public static TensorData Decode(TensorProto tensor, string what, int? maxValues, TensorLimits? limits = null)
    {
        var shape = TensorProtoConverter.Validate(tensor, what, limits);
        var count = TensorShapes.ElementCount(shape, what, limits);
        if (maxValues is null || count <= maxValues)
        {
            return TensorProtoConverter.ToTensorData(tensor, what, limits);
        }

        // A copy holding only the first k values, as a vector: same dtype, same fill rule.
        var k = maxValues.Value;
        var head = new TensorProto { Dtype = tensor.Dtype, TensorShape = TensorShapes.ToProto([k]) };
        var elementSize = DTypes.Get(tensor.Dtype).ElementSize;
        if (!tensor.TensorContent.IsEmpty && elementSize > 0)
        {
            head.TensorContent = ByteString.CopyFrom(tensor.TensorContent.Span[..(k * elementSize)]);
        }
        else
        {
            head.FloatVal.AddRange(tensor.FloatVal.Take(k));
            head.DoubleVal.AddRange(tensor.DoubleVal.Take(k));
            head.IntVal.AddRange(tensor.IntVal.Take(k));
            head.Int64Val.AddRange(tensor.Int64Val.Take(k));
            head.Uint32Val.AddRange(tensor.Uint32Val.Take(k));
            head.Uint64Val.AddRange(tensor.Uint64Val.Take(k));
            head.BoolVal.AddRange(tensor.BoolVal.Take(k));
            head.HalfVal.AddRange(tensor.HalfVal.Take(k));
            head.StringVal.AddRange(tensor.StringVal.Take(k));
        }

        return TensorProtoConverter.ToTensorData(head, what);
    }
}
