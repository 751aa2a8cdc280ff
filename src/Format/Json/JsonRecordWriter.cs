using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf.Collections;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format.Json;

/// <summary>
/// Writes the JSON view of a record (<see cref="WarmupJson"/>): its positional fields, then its readable fields, then
/// <c>"bytes"</c> when given.
/// </summary>
internal static class JsonRecordWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes one record's object; <paramref name="bytes"/> (the record's exact bytes) only when <paramref name="withBytes"/>.</summary>
    public static void WriteRecord(Utf8JsonWriter w, long index, long offset, int length, PredictionLog log, int? maxValues, bool withBytes, ReadOnlySpan<byte> bytes)
    {
        w.WriteStartObject();
        w.WriteNumber("index", index);
        w.WriteNumber("offset", offset);
        w.WriteNumber("length", length);
        WriteView(w, log, maxValues);
        if (withBytes)
        {
            w.WriteBase64String("bytes", bytes);
        }

        w.WriteEndObject();
    }

    /// <summary>The readable fields of a record (everything but the positional ones).</summary>
    public static void WriteView(Utf8JsonWriter w, PredictionLog log, int? maxValues)
    {
        var view = new PredictionLogView(log);
        w.WriteString("logType", view.Name);
        w.WritePropertyName("model");
        WriteModelSpec(w, view.ModelSpec);
        if (view.Type == WarmupLogType.PredictStreamed)
        {
            // A streamed log carries many requests: one object each.
            w.WriteStartArray("requests");
            foreach (var request in view.Requests)
            {
                w.WriteStartObject();
                WriteRequest(w, request, maxValues);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }
        else if (view.Requests is [var request])
        {
            WriteRequest(w, request, maxValues);
        }
    }

    /// <summary>What one request feeds (read through the log's view: the request message may be absent).</summary>
    private static void WriteRequest(Utf8JsonWriter w, WarmupRequestView request, int? maxValues)
    {
        if (request.TakesExamples)
        {
            if (request.Type == WarmupLogType.MultiInference)
            {
                w.WriteStartArray("tasks");
                foreach (var task in (request.Message as MultiInferenceRequest)?.Tasks ?? [])
                {
                    w.WriteStartObject();
                    w.WriteString("method", task.MethodName);
                    w.WritePropertyName("model");
                    WriteModelSpec(w, task.ModelSpec);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            WriteExamples(w, request.Input, maxValues);
        }
        else if (request.Type == WarmupLogType.SessionRun)
        {
            w.WriteStartArray("feeds");
            foreach (var (name, tensor) in request.Tensors)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WritePropertyName("tensor");
                WriteTensor(w, tensor ?? new TensorProto(), $"feed \"{name}\"", maxValues);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }
        else
        {
            WriteInputs(w, (request.Message as PredictRequest)?.Inputs, maxValues);
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
    private static void WriteValues(Utf8JsonWriter w, Array values)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var compact = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = w.Options.Encoder }))
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
    private static void WriteBytes(Utf8JsonWriter w, ReadOnlySpan<byte> bytes)
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

    /// <summary>A byte string for one line of text: <c>"…"</c> (JSON-escaped) when it is valid UTF-8, else <c>base64:…</c>.</summary>
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
}
