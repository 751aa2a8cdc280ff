using System.Globalization;
using Google.Protobuf.Collections;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;

namespace Warmup.Format.Tensors;

/// <summary>
/// The per-record budget of <see cref="TensorLimits.MaxRecordBytes"/>: what a record costs in memory once its tensors are
/// expanded (shape × element size with TensorFlow's fill rule; strings at their bytes plus
/// <see cref="TensorLimits.StringElementOverheadBytes"/> each). Computed from shapes and lengths alone, so it is checked
/// before anything is allocated — by the replay, <c>warmup create</c>, the Triton import and JSON → TFRecord.
/// </summary>
public static class RecordBudget
{
    // Beyond any budget; keeps the arithmetic far from decimal's range whatever the dims claim.
    private const decimal Saturated = 1e24m;

    /// <summary>The expanded in-memory size of <paramref name="tensor"/> in bytes. Never throws for bad shapes (negative dims count 0).</summary>
    public static decimal ExpandedBytes(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        decimal count = 1;
        foreach (var dim in tensor.TensorShape?.Dim ?? [])
        {
            count = dim.Size <= 0 ? 0 : count > Saturated / dim.Size ? Saturated : count * dim.Size;
        }

        var dtype = DTypes.Get(tensor.Dtype);
        if (dtype.IsString)
        {
            decimal bytes = 0;
            var values = tensor.StringVal;
            for (var i = 0; i < values.Count && i < count; i++)
            {
                bytes += values[i].Length;
            }

            if (values.Count > 0 && values.Count < count)
            {
                bytes += (count - values.Count) * values[^1].Length;
            }

            return Math.Min(Saturated, bytes + (count * TensorLimits.StringElementOverheadBytes));
        }

        return count * Math.Max(1, dtype.ElementSize);
    }

    /// <summary>The expanded in-memory size of every tensor and tf.Example feature that replaying <paramref name="log"/> feeds.</summary>
    public static decimal ExpandedBytes(PredictionLog log) => Largest(log).Total;

    /// <summary>
    /// Throws <see cref="WarmupFormatException"/> (<see cref="WarmupErrorKind.InvalidTensor"/>, no location: callers add the
    /// record's) when <paramref name="log"/> expands beyond <see cref="TensorLimits.MaxRecordBytes"/>.
    /// </summary>
    public static void Check(PredictionLog log, TensorLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        limits ??= TensorLimits.Default;
        var (total, what, largest) = Largest(log);
        if (total > limits.MaxRecordBytes)
        {
            throw new WarmupFormatException(WarmupErrorKind.InvalidTensor,
                $"the record expands to {FormatBytes(total)} in memory ({what}: {FormatBytes(largest)}), above the per-record budget of " +
                $"{FormatBytes(limits.MaxRecordBytes)}. TensorFlow's fill rule repeats the last value to fill a shape, so a few bytes can claim " +
                "gigabytes. Shrink the shapes, or raise the budget (TensorLimits.MaxRecordBytes; --max-record-mib in the warmup tool).");
        }
    }

    /// <summary>Bytes as <c>1.5 GiB</c>, <c>256 MiB</c>, <c>12 KiB</c> or <c>100 bytes</c>.</summary>
    internal static string FormatBytes(decimal bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (1L << 30)).ToString("0.#", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (1L << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (1L << 10)).ToString("0.#", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString("0", CultureInfo.InvariantCulture) + " bytes",
    };

    private static (decimal Total, string What, decimal Largest) Largest(PredictionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var sum = new Sum();
        foreach (var request in new PredictionLogView(log).Requests)
        {
            if (request.TakesExamples)
            {
                // Each task is one run over the same examples.
                sum.AddExamples(request.Examples, request.Context, Math.Max(1, request.Tasks.Count));
                continue;
            }

            foreach (var (name, tensor) in request.Tensors)
            {
                if (request.Type == WarmupLogType.SessionRun)
                {
                    sum.Add(() => $"feed \"{name}\"", tensor is null ? 0 : ExpandedBytes(tensor));
                }
                else
                {
                    sum.Add(() => $"input \"{name}\" {TensorShapes.Format(TensorShapes.FromProto(tensor!.TensorShape))} {DTypes.Name(tensor.Dtype)}", ExpandedBytes(tensor!));
                }
            }
        }

        return (sum.Total, sum.What, sum.Largest);
    }

    private sealed class Sum
    {
        private Func<string> _what = () => "no tensors";

        public decimal Total { get; private set; }
        public decimal Largest { get; private set; } = -1;

        // Described only when asked (for the largest), so that measuring a record with many inputs stays cheap.
        public string What => _what();

        public void Add(Func<string> what, decimal bytes)
        {
            Total = Math.Min(Saturated, Total + bytes);
            if (bytes > Largest)
            {
                (Largest, _what) = (bytes, what);
            }
        }

        public void AddExamples(IReadOnlyList<Example>? examples, Example? context, int runs)
        {
            if (examples is null)
            {
                return;
            }

            decimal bytes = 0;
            foreach (var example in examples)
            {
                bytes += FeatureBytes(example);
            }

            // The context's features are merged into every example.
            bytes += FeatureBytes(context) * examples.Count;
            Add(() => $"{examples.Count} tf.Example(s)", Math.Min(Saturated, bytes * runs));
        }

        private static decimal FeatureBytes(Example? example)
        {
            decimal bytes = 0;
            foreach (var feature in example?.Features?.Feature.Values ?? [])
            {
                bytes += feature.KindCase switch
                {
                    Feature.KindOneofCase.FloatList => feature.FloatList.Value.Count * 4m,
                    Feature.KindOneofCase.Int64List => feature.Int64List.Value.Count * 8m,
                    Feature.KindOneofCase.BytesList => feature.BytesList.Value.Sum(v => (decimal)v.Length + TensorLimits.StringElementOverheadBytes),
                    _ => 0,
                };
            }

            return bytes;
        }
    }
}
