using System.CommandLine;
using System.Globalization;
using System.Text;
using Warmup.Format;
using Warmup.Format.Json;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Cli.Commands;

/// <summary><c>warmup inspect &lt;file&gt; [--json] [--values N]</c>: one line per record, or the JSON view.</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("file") { Description = "The warmup file (tf_serving_warmup_requests), or a model version directory holding assets.extra/tf_serving_warmup_requests." };
        var json = new Option<bool>("--json") { Description = "Print JSON on stdout: {\"file\",\"records\":[…],\"summary\"}." };
        var values = CliOptions.Int("--values", "How many values to show per tensor or feature", 3, 0, 1_000_000);
        var command = new Command("inspect", "Show each record: offset, length, log type, model, signature and inputs (--json for scripts).")
        {
            file, json, values,
        };
        command.SetAction(parse => Program.Guard(context, () =>
            Run(context, InputFiles.ResolveWarmupFile(parse.GetValue(file)!), parse.GetValue(json), parse.GetValue(values))));
        return command;
    }

    private static int Run(CliContext context, string path, bool json, int maxValues)
    {
        InputFiles.RequireFile(path, "the warmup file");
        return json ? RunJson(context, path, maxValues) : RunTable(context, path, maxValues);
    }

    private static int RunJson(CliContext context, string path, int maxValues)
    {
        using var output = new JsonOutput(context.Out);
        var w = output.Writer;
        w.WriteStartObject();
        w.WriteString("file", path);
        w.WriteStartArray("records");
        var count = 0;
        try
        {
            foreach (var record in InputFiles.ReadRaw(path, context))
            {
                WarmupJson.WriteRecord(w, new WarmupRecord(record.Index, record.Offset, record.Bytes.Length, record.Log), maxValues);
                output.FlushChunk();
                count++;
            }
        }
        catch (WarmupFormatException ex)
        {
            // Records already printed stay printed, so stdout is closed as valid JSON with the error in it; the error
            // is then reported on stderr and the exit code as for any damaged file.
            w.WriteEndArray();
            w.WriteStartObject("error");
            w.WriteString("kind", ex.Kind.ToString());
            w.WriteString("message", ex.Problem);
            WriteNumberOrNull(w, "recordIndex", ex.RecordIndex);
            WriteNumberOrNull(w, "byteOffset", ex.ByteOffset);
            w.WriteEndObject();
            WriteSummary(w, count);
            throw;
        }

        w.WriteEndArray();
        WriteSummary(w, count);
        return ExitCodes.Success;
    }

    private static void WriteSummary(System.Text.Json.Utf8JsonWriter w, int count)
    {
        w.WriteStartObject("summary");
        w.WriteNumber("records", count);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteNumberOrNull(System.Text.Json.Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } number)
        {
            w.WriteNumber(name, number);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static int RunTable(CliContext context, string path, int maxValues)
    {
        var output = context.Out;
        // The model and signature columns fit the longest name among the first rows (held back to measure them), so long
        // model names keep the columns aligned; later rows are written as they are read.
        const int MeasuredRows = 1000;
        var pending = new List<(long Index, long Offset, int Length, string Type, string Model, string Signature, string Inputs)>();
        (int Model, int Signature)? widths = null;
        var count = 0;
        try
        {
            foreach (var record in InputFiles.ReadRaw(path, context))
            {
                var spec = TfServing.GetModelSpec(record.Log);
                var version = spec?.VersionChoiceCase == ModelSpec.VersionChoiceOneofCase.Version ? $"@{spec.Version.GetValueOrDefault()}" : "";
                pending.Add((record.Index, record.Offset, record.Bytes.Length, TfServing.LogTypeName(record.Log.LogTypeCase),
                    Show((spec?.Name ?? "") + version), Show(spec?.SignatureName ?? ""), Describe(record.Log, maxValues)));
                count++;
                if (widths is not null || pending.Count >= MeasuredRows)
                {
                    Flush();
                }
            }
        }
        finally
        {
            // The records before a corrupt one are printed before its error.
            Flush();
        }

        context.Info($"{path}: {count} record(s).");
        return ExitCodes.Success;

        void Flush()
        {
            if (widths is null)
            {
                widths = (Math.Max(16, pending.Select(r => r.Model.Length).DefaultIfEmpty().Max()), Math.Max(18, pending.Select(r => r.Signature.Length).DefaultIfEmpty().Max()));
                output.WriteLine($"{"#",5}  {"offset",10}  {"length",8}  {"type",-14}  {"model".PadRight(widths.Value.Model)}  {"signature".PadRight(widths.Value.Signature)}  inputs");
            }

            foreach (var row in pending)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{row.Index,5}  {row.Offset,10}  {row.Length,8}  {row.Type,-14}  {row.Model.PadRight(widths.Value.Model)}  {row.Signature.PadRight(widths.Value.Signature)}  {row.Inputs}"));
            }

            pending.Clear();
        }

        static string Show(string text) => text.Length == 0 ? "-" : text;
    }

    /// <summary>Inputs (or features) on one line: <c>x DT_FLOAT [3,1] = 1, 2, 3…</c>.</summary>
    internal static string Describe(PredictionLog log, int maxValues)
    {
        var text = new StringBuilder();
        var view = new PredictionLogView(log);
        if (view.Type is WarmupLogType.None or WarmupLogType.PredictStreamed)
        {
            return view.Type == WarmupLogType.None ? "-" : $"{view.Requests.Count} request(s)";
        }

        foreach (var request in view.Requests)
        {
            if (request.TakesExamples)
            {
                if (view.Type == WarmupLogType.MultiInference)
                {
                    text.Append("tasks: ").Append(string.Join(",", request.Tasks.Select(t => t.MethodName?.Split('/')[^1]))).Append("; ");
                }

                DescribeExamples(text, request.Examples, maxValues);
                continue;
            }

            foreach (var (name, tensor) in request.Tensors)
            {
                AppendSeparator(text).Append(name).Append(' ').Append(DescribeTensor(tensor ?? new TensorProto(), $"{request.TensorLabel} \"{name}\"", maxValues));
            }
        }

        return text.ToString();
    }

    private static string DescribeTensor(TensorProto tensor, string what, int maxValues)
    {
        var shape = ShapeText.Format(tensor.TensorShape is { UnknownRank: true } ? null : TensorShapes.FromProto(tensor.TensorShape));
        var text = $"{DTypes.Name(tensor.Dtype)} {shape}";
        if (maxValues == 0)
        {
            return text;
        }

        try
        {
            var preview = TensorPreview.Decode(tensor, what, maxValues);
            var total = TensorShapes.ElementCount(TensorProtoConverter.Validate(tensor, what), what);
            return $"{text} = {FormatValues(preview.Values)}{(total > preview.ElementCount ? ", …" : "")}";
        }
        catch (WarmupFormatException ex)
        {
            return $"{text} (invalid: {ex.Problem})";
        }
    }

    private static void DescribeExamples(StringBuilder text, IReadOnlyList<Example>? examples, int maxValues)
    {
        if (examples is null)
        {
            text.Append("(no examples)");
            return;
        }

        text.Append(examples.Count).Append(" example(s)");
        if (examples.Count == 0)
        {
            return;
        }

        text.Append(": ");
        var first = true;
        foreach (var (name, feature) in (examples[0].Features?.Feature ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!first)
            {
                text.Append(", ");
            }

            first = false;
            var (kind, values) = feature.KindCase switch
            {
                Feature.KindOneofCase.FloatList => ("float", (Array)feature.FloatList.Value.Take(maxValues).ToArray()),
                Feature.KindOneofCase.Int64List => ("int64", feature.Int64List.Value.Take(maxValues).ToArray()),
                Feature.KindOneofCase.BytesList => ("bytes", feature.BytesList.Value.Take(maxValues).Select(b => b.ToByteArray()).ToArray()),
                _ => ("none", Array.Empty<int>()),
            };
            var total = feature.KindCase switch
            {
                Feature.KindOneofCase.FloatList => feature.FloatList.Value.Count,
                Feature.KindOneofCase.Int64List => feature.Int64List.Value.Count,
                Feature.KindOneofCase.BytesList => feature.BytesList.Value.Count,
                _ => 0,
            };
            text.Append(name).Append(' ').Append(kind).Append('[').Append(total).Append(']');
            if (maxValues > 0 && total > 0)
            {
                text.Append(" = ").Append(FormatValues(values)).Append(total > values.Length ? ", …" : "");
            }
        }
    }

    internal static string FormatValues(Array values)
    {
        var parts = new List<string>(values.Length);
        foreach (var value in values)
        {
            parts.Add(value switch
            {
                byte[] bytes => JsonRecordWriter.FormatBytes(bytes),
                float f => f.ToString(CultureInfo.InvariantCulture),
                double d => d.ToString(CultureInfo.InvariantCulture),
                Half h => ((float)h).ToString(CultureInfo.InvariantCulture),
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString() ?? "",
            });
        }

        return string.Join(", ", parts);
    }

    private static StringBuilder AppendSeparator(StringBuilder text) => text.Length > 0 ? text.Append("; ") : text;
}
