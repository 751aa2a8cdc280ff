using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format.Json;

/// <summary>
/// Rebuilds a PredictionLog from the readable fields of a JSON record (a record written by hand or edited). Errors are
/// <see cref="WarmupFormatException"/>s naming the field, without location (<see cref="JsonRecordDecoder"/> adds it).
/// </summary>
internal static class JsonRecordBuilder
{
    public static PredictionLog FromView(JsonElement record)
    {
        var at = new Location();
        var logType = record.TryGetProperty("logType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : throw at.Error("logType", "is missing: expected predict, classify, regress, multiInference or none.");
        var spec = record.TryGetProperty("model", out var m) ? ModelSpecOf(m, at.Field("model")) : null;
        var log = new PredictionLog();
        switch (logType)
        {
            case "predict":
                var request = new PredictRequest { ModelSpec = spec };
                if (!record.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Object)
                {
                    throw at.Error("inputs", "is missing: a predict record needs an object of named tensors.");
                }

                foreach (var input in inputs.EnumerateObject())
                {
                    if (request.Inputs.ContainsKey(input.Name))
                    {
                        throw at.Error($"inputs.{input.Name}", "is given twice. Keep one.");
                    }

                    request.Inputs.Add(input.Name, TensorOf(input.Value, at.Field($"inputs.{input.Name}")));
                }

                log.PredictLog = new PredictLog { Request = request };
                break;
            case "classify":
                log.ClassifyLog = new ClassifyLog { Request = new ClassificationRequest { ModelSpec = spec, Input = InputOf(record, at) } };
                break;
            case "regress":
                log.RegressLog = new RegressLog { Request = new RegressionRequest { ModelSpec = spec, Input = InputOf(record, at) } };
                break;
            case "multiInference":
                var multi = new MultiInferenceRequest { Input = InputOf(record, at) };
                if (record.TryGetProperty("tasks", out var tasks) && tasks.ValueKind == JsonValueKind.Array)
                {
                    var i = 0;
                    foreach (var task in tasks.EnumerateArray())
                    {
                        var taskAt = at.Field($"tasks[{i++}]");
                        if (task.ValueKind != JsonValueKind.Object)
                        {
                            throw taskAt.Error("", "is not an object {\"method\",\"model\"}.");
                        }

                        multi.Tasks.Add(new InferenceTask
                        {
                            MethodName = StringOf(task, "method", taskAt),
                            ModelSpec = task.TryGetProperty("model", out var tm) ? ModelSpecOf(tm, taskAt.Field("model")) : null,
                        });
                    }
                }

                log.MultiInferenceLog = new MultiInferenceLog { Request = multi };
                break;
            case "none":
                break;
            default:
                throw at.Error("logType", $"\"{logType}\" cannot be rebuilt from readable fields (predict, classify, regress, multiInference or none). Keep the record's \"bytes\".");
        }

        return log;
    }

    private static ModelSpec? ModelSpecOf(JsonElement element, Location at)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw at.Error("", "is not an object.");
        }

        var spec = new ModelSpec
        {
            Name = element.TryGetProperty("name", out _) ? StringOf(element, "name", at) : "",
            SignatureName = element.TryGetProperty("signatureName", out _) ? StringOf(element, "signatureName", at) : "",
        };
        if (element.TryGetProperty("version", out var version) && version.ValueKind != JsonValueKind.Null)
        {
            spec.Version = version.ValueKind == JsonValueKind.Number && version.TryGetInt64(out var v) ? v : throw at.Error("version", "is not an integer.");
        }
        else if (element.TryGetProperty("versionLabel", out _))
        {
            spec.VersionLabel = StringOf(element, "versionLabel", at);
        }

        return spec;
    }

    private static string StringOf(JsonElement element, string name, Location at) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : throw at.Error(name, "is missing or not a string.");

    private static Input InputOf(JsonElement record, Location at)
    {
        if (!record.TryGetProperty("examples", out var examples) || examples.ValueKind != JsonValueKind.Array)
        {
            throw at.Error("examples", "is missing: classify, regress and multiInference records need an array of examples.");
        }

        var list = new List<Example>();
        var i = 0;
        foreach (var example in examples.EnumerateArray())
        {
            list.Add(ExampleOf(example, at.Field($"examples[{i++}]")));
        }

        if (record.TryGetProperty("context", out var context))
        {
            var withContext = new ExampleListWithContext { Context = ExampleOf(context, at.Field("context")) };
            withContext.Examples.AddRange(list);
            return new Input { ExampleListWithContext = withContext };
        }

        var plain = new ExampleList();
        plain.Examples.AddRange(list);
        return new Input { ExampleList = plain };
    }

    private static Example ExampleOf(JsonElement element, Location at)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw at.Error("", "is not an object of features.");
        }

        var features = new Features();
        foreach (var property in element.EnumerateObject())
        {
            var featureAt = at.Field(property.Name);
            if (features.Feature.ContainsKey(property.Name))
            {
                throw featureAt.Error("", "is given twice. Keep one.");
            }

            var type = StringOf(property.Value, "type", featureAt);
            var feature = new Feature();
            switch (type)
            {
                case "float":
                    feature.FloatList = new FloatList();
                    feature.FloatList.Value.AddRange(Values(property.Value, featureAt, v => (float)Floating(v)));
                    break;
                case "int64":
                    feature.Int64List = new Int64List();
                    feature.Int64List.Value.AddRange(Values(property.Value, featureAt, v => v.GetInt64()));
                    break;
                case "bytes":
                    feature.BytesList = new BytesList();
                    feature.BytesList.Value.AddRange(Values(property.Value, featureAt, v => ByteString.CopyFrom(Bytes(v))));
                    break;
                case "none":
                    break;
                default:
                    throw featureAt.Error("type", $"\"{type}\" is not float, int64, bytes or none.");
            }

            features.Feature.Add(property.Name, feature);
        }

        return new Example { Features = features };
    }

    private static TensorProto TensorOf(JsonElement element, Location at)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw at.Error("", "is not a tensor object {\"dtype\",\"shape\",\"values\"}.");
        }

        var dtypeName = StringOf(element, "dtype", at);
        if (!DTypes.TryParse(dtypeName, out var dataType) || !DTypes.Get(dataType).IsSupported)
        {
            throw at.Error("dtype", WarmupErrorKind.UnsupportedDtype, $"\"{dtypeName}\" is not a supported dtype. Supported: {string.Join(", ", DTypes.All.Where(d => d.IsSupported).Select(d => d.Name))}.");
        }

        if (!element.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw at.Error("shape", "is missing: expected an array of dimensions such as [2,3] ([] for a scalar).");
        }

        var shape = shapeElement.EnumerateArray()
            .Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var v) && v >= 0 ? v : throw at.Error("shape", $"holds {d.GetRawText()}, which is not a non-negative integer."))
            .ToArray();
        var count = TensorShapes.ElementCount(shape, at.Describe(), TensorLimits.Default);
        var given = element.TryGetProperty("values", out var valuesElement) && valuesElement.ValueKind == JsonValueKind.Array ? valuesElement.GetArrayLength() : -1;
        try
        {
            if (given >= 0 && given < count)
            {
                // TensorFlow's fill rule, kept compact: the values go to the typed field and the last one repeats.
                return TensorProtoConverter.FromFillRule(BuildTensor(element, at, dataType, [given]), shape);
            }

            return TensorProtoConverter.FromTensorData(BuildTensor(element, at, dataType, shape));
        }
        catch (ArgumentException ex)
        {
            throw at.Error("values", $"do not match the shape: {ex.Message}");
        }
    }

    private static TensorData BuildTensor(JsonElement element, Location at, DataType dataType, long[] shape)
    {
        return dataType switch
        {
            DataType.DtFloat => TensorData.Create(Values(element, at, v => (float)Floating(v)), shape),
            DataType.DtDouble => TensorData.Create(Values(element, at, Floating), shape),
            DataType.DtHalf => TensorData.Create(Values(element, at, v => (Half)Floating(v)), shape),
            DataType.DtBfloat16 => TensorData.Create(Values(element, at, v => BFloat16.FromSingle((float)Floating(v))), shape),
            DataType.DtInt32 => TensorData.Create(Values(element, at, v => v.GetInt32()), shape),
            DataType.DtInt64 => TensorData.Create(Values(element, at, v => v.GetInt64()), shape),
            DataType.DtInt16 => TensorData.Create(Values(element, at, v => v.GetInt16()), shape),
            DataType.DtInt8 => TensorData.Create(Values(element, at, v => v.GetSByte()), shape),
            DataType.DtUint8 => TensorData.Create(Values(element, at, v => v.GetByte()), shape),
            DataType.DtUint16 => TensorData.Create(Values(element, at, v => v.GetUInt16()), shape),
            DataType.DtUint32 => TensorData.Create(Values(element, at, v => v.GetUInt32()), shape),
            DataType.DtUint64 => TensorData.Create(Values(element, at, v => v.GetUInt64()), shape),
            DataType.DtBool => TensorData.Create(Values(element, at, v => v.GetBoolean()), shape),
            DataType.DtString => TensorData.CreateStrings(Values(element, at, Bytes), shape),
            _ => throw at.Error("dtype", $"{DTypes.Name(dataType)} cannot be rebuilt from JSON."),
        };
    }

    private static T[] Values<T>(JsonElement element, Location at, Func<JsonElement, T> convert)
    {
        if (!element.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Array)
        {
            throw at.Error("values", "is missing: expected an array of values in row-major order (fewer than the shape holds repeat the last one, as in TensorFlow).");
        }

        var result = new T[values.GetArrayLength()];
        var i = 0;
        foreach (var value in values.EnumerateArray())
        {
            try
            {
                result[i] = convert(value);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException)
            {
                throw at.Error($"values[{i}]", $"{value.GetRawText()} does not fit the dtype ({ex.Message}).");
            }

            i++;
        }

        return result;
    }

    private static double Floating(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? double.Parse(value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
        : value.GetDouble();

    private static byte[] Bytes(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Encoding.UTF8.GetBytes(value.GetString()!),
        JsonValueKind.Object when value.TryGetProperty("base64", out var b) => b.GetBytesFromBase64(),
        _ => throw new FormatException("expected a string or {\"base64\": \"…\"}"),
    };

    private sealed record Location(string Path = "")
    {
        public Location Field(string name) => this with { Path = Path.Length == 0 ? name : $"{Path}.{name}" };

        public string Describe() => $"\"{Path}\"";

        public WarmupFormatException Error(string field, string problem) => Error(field, WarmupErrorKind.ParseError, problem);

        public WarmupFormatException Error(string field, WarmupErrorKind kind, string problem)
        {
            var path = field.Length == 0 ? Path : Path.Length == 0 ? field : $"{Path}.{field}";
            return new WarmupFormatException(kind, $"\"{path}\" {problem}");
        }
    }
}
