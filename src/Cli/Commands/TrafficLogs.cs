using System.Text.Json;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Tensors;

namespace Warmup.Cli.Commands;

/// <summary>A logged request's group: its model name and its request shape(s) (several for multi_inference).</summary>
internal sealed class RequestGroupKey(string model, IReadOnlyList<RequestShape> shapes) : IEquatable<RequestGroupKey>
{
    public string Model { get; } = model;

    public IReadOnlyList<RequestShape> Shapes { get; } = shapes;

    public bool Equals(RequestGroupKey? other) =>
        other is not null && string.Equals(Model, other.Model, StringComparison.Ordinal) && Shapes.SequenceEqual(other.Shapes);

    public override bool Equals(object? obj) => Equals(obj as RequestGroupKey);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Model, StringComparer.Ordinal);
        foreach (var shape in Shapes)
        {
            hash.Add(shape);
        }

        return hash.ToHashCode();
    }

    /// <summary><c>{"model": …, "signature": …, "inputs": {"x": {"dtype": "DT_FLOAT", "shape": [4,1]}}}</c> (properties of an open object).</summary>
    public void WriteProperties(Utf8JsonWriter w)
    {
        w.WriteString("model", Model);
        w.WriteString("signature", string.Join(",", Shapes.Select(s => s.Signature).Distinct()));
        w.WriteStartObject("inputs");
        foreach (var input in Shapes.Count == 0 ? [] : Shapes[0].Inputs)
        {
            w.WriteStartObject(input.Name);
            w.WriteString("dtype", DTypes.Name(input.DType));
            w.WriteStartArray("shape");
            foreach (var d in input.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    public override string ToString() => (Model.Length == 0 ? "" : Model + " ") + string.Join(" + ", Shapes.Select(s => s.ToString()));
}

/// <summary>One logged request: where it is, its exact bytes, and its group.</summary>
internal sealed record LoggedRequest(string File, long Index, long Offset, byte[] Bytes, PredictionLog Log, RequestGroupKey Key);

/// <summary>
/// Reads PredictionLog TFRecord files as request logs (Warmup's recordings or TF Serving's request logs), for
/// <c>warmup select</c> and <c>warmup coverage</c>: grouping uses the one request-shape definition in Format.
/// </summary>
internal static class TrafficLogs
{
    /// <summary>
    /// The requests of every log, in order: records TF Serving does not replay as warmup (no log type, session_run,
    /// predict_streamed) and other models' records (with <paramref name="modelName"/>) are counted in <paramref name="skipped"/>.
    /// </summary>
    public static IEnumerable<LoggedRequest> Read(IReadOnlyList<string> logs, string? modelName, CliContext context, Action<string>? skipped = null)
    {
        foreach (var path in logs)
        {
            InputFiles.RequireFile(path, "the request log");
            var any = false;
            foreach (var record in InputFiles.ReadRaw(path, context))
            {
                any = true;
                if (TfServing.GetSupport(record.Log.LogTypeCase) != LogTypeSupport.Replayed)
                {
                    skipped?.Invoke(TfServing.LogTypeName(record.Log.LogTypeCase));
                    continue;
                }

                var model = ModelName(record.Log);
                if (modelName is not null && !string.Equals(model, modelName, StringComparison.Ordinal))
                {
                    skipped?.Invoke("other model");
                    continue;
                }

                yield return new LoggedRequest(path, record.Index, record.Offset, record.Bytes, record.Log,
                    new RequestGroupKey(model, RequestShape.FromLog(record.Log)));
            }

            if (!any)
            {
                throw CliException.Invalid(WarmupException.Compose(path, 0, 0,
                    "the log holds no records. Pass a TFRecord file of PredictionLogs (a recording, or TF Serving's request log)."));
            }
        }
    }

    /// <summary>The model a record addresses: its request's model_spec, else its log_metadata's (TF Serving's request logs carry both).</summary>
    public static string ModelName(PredictionLog log)
    {
        var name = TfServing.GetModelSpec(log)?.Name;
        return string.IsNullOrEmpty(name) ? log.LogMetadata?.ModelSpec?.Name ?? string.Empty : name;
    }

    public static string Percent(long covered, long total) => total == 0 ? "n/a" : (100.0 * covered / total).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + "%";

    public static double Fraction(long covered, long total) => total == 0 ? 1.0 : (double)covered / total;

    /// <summary>The fraction as JSON shows it: three decimals.</summary>
    public static double Rounded(double fraction) => Math.Round(fraction, 3, MidpointRounding.AwayFromZero);
}
