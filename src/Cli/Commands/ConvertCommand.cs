using System.CommandLine;
using System.Text.Json;
using Warmup.Cli.Triton;
using Warmup.Format;
using Warmup.Format.Json;
using Warmup.Format.Tensors;
using Warmup.Format.TfRecord;

namespace Warmup.Cli.Commands;

/// <summary>
/// <c>warmup convert &lt;in&gt; &lt;out&gt; [--from json|tfrecord|triton] [--to json|tfrecord|triton]</c>: lossless JSON ↔ TFRecord,
/// a Triton <c>model_warmup</c> section → TFRecord, and TFRecord → a Triton <c>model_warmup</c> section (<see cref="TritonExport"/>).
/// </summary>
internal static class ConvertCommand
{
    public static Command Create(CliContext context)
    {
        var input = new Argument<string>("in") { Description = "The input: a warmup file (tfrecord), its JSON form (json), or a Triton config.pbtxt or model directory (triton)." };
        var output = new Argument<string>("out") { Description = "The output file (written atomically; only a regular file is replaced), or - for standard output." };
        var from = new Option<string>("--from") { Description = "Input format (default: from the name: .json → json, config.pbtxt or .pbtxt → triton, else tfrecord)." };
        from.AcceptOnlyFromAmong("json", "tfrecord", "triton");
        var to = new Option<string>("--to") { Description = "Output format (default: .json → json, else tfrecord). triton: <out> is a Triton model directory; its config.pbtxt gets a model_warmup section (or model_warmup.pbtxt is written beside) and warmup/ the data files." };
        to.AcceptOnlyFromAmong("json", "tfrecord", "triton");
        var name = new Option<string>("--name") { Description = "Triton only: the TF Serving model name in the records (default: the config's name)." };
        var seed = new Option<int>("--seed") { Description = "Triton only: seed for random_data.", DefaultValueFactory = _ => 0 };
        var maxRecords = CliOptions.Int("--max-records", "Triton only: most records the model_warmup samples may expand to (count × samples); TF Serving fails the load above 1000",
            TfServing.MaxRecords, 1, 10_000_000);
        var maxRecordMib = CliOptions.MaxRecordMib();
        var maxBatchSize = new Option<long?>("--max-batch-size") { Description = "--to triton only: the model's max_batch_size (default: the config's, else 0). Above 0, dimension 0 of every input becomes batch_size." };
        var command = new Command("convert",
            "Convert a warmup file to JSON and back (byte-identical), a Triton model_warmup config to a warmup file, or a warmup file to Triton's model_warmup.")
        {
            input, output, from, to, name, seed, maxRecords, maxRecordMib, maxBatchSize,
        };
        command.SetAction(parse => Program.Guard(context, () =>
        {
            var inPath = parse.GetValue(input)!;
            var outPath = parse.GetValue(output)!;
            var fromFormat = parse.GetValue(from) ?? GuessInput(inPath);
            var toFormat = parse.GetValue(to) ?? (outPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "json" : "tfrecord");
            if (toFormat == "triton" || parse.GetValue(maxBatchSize) is not null)
            {
                return ToTriton(context, inPath, outPath, fromFormat, toFormat, parse.GetValue(maxBatchSize));
            }

            return Run(context, inPath, outPath, fromFormat, toFormat, parse.GetValue(name), parse.GetValue(seed), parse.GetValue(maxRecords),
                CliOptions.Limits(parse.GetValue(maxRecordMib)));
        }));
        return command;
    }

    private static string GuessInput(string path) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "json"
        : path.EndsWith(".pbtxt", StringComparison.OrdinalIgnoreCase) || File.Exists(Path.Combine(path, TritonWarmup.ConfigFileName)) ? "triton"
        : "tfrecord";

    private static int Run(CliContext context, string inPath, string outPath, string from, string to, string? modelName, int seed, int maxRecords,
        TensorLimits limits)
    {
        if (outPath != OutputFile.StandardOutput && Path.GetFullPath(inPath) == Path.GetFullPath(outPath))
        {
            throw CliException.Usage($"{outPath}: the output is the input. Pass another output path.");
        }

        if (modelName is not null && from != "triton")
        {
            throw CliException.Usage("--name applies to --from triton only; JSON and TFRecord records keep their own model spec.");
        }

        var records = from switch
        {
            "json" => FromJson(inPath, limits),
            "triton" => FromTriton(inPath, modelName, seed, maxRecords, limits),
            _ => InputFiles.ReadRaw(InputFiles.RequireFile(inPath, "the warmup file"), context).Select(r => (ReadOnlyMemory<byte>)r.Bytes),
        };

        int count;
        using (var progress = context.StartProgress("converting record", null, json: false))
        {
            var done = 0;
            var reported = records.Select(r =>
            {
                progress.Report(++done);
                return r;
            });
            count = to == "json" ? WriteJson(context, outPath, inPath, reported) : WriteTfRecord(context, outPath, reported);
        }

        context.Info($"{(outPath == OutputFile.StandardOutput ? "standard output" : outPath)}: wrote {count} record(s) ({from} → {to}).");
        if (count > TfServing.MaxRecords && to == "tfrecord")
        {
            context.Warning($"{outPath}: {count} records; TF Serving fails the load above {TfServing.MaxRecords}.");
        }

        return ExitCodes.Success;
    }

    private static int ToTriton(CliContext context, string inPath, string modelDirectory, string from, string to, long? maxBatchSize)
    {
        if (to != "triton" || from != "tfrecord")
        {
            throw CliException.Usage("--max-batch-size applies to --to triton, which reads a warmup file (tfrecord): warmup convert <warmup file> <model dir> --to triton.");
        }

        if (maxBatchSize is < 0)
        {
            throw CliException.Usage($"--max-batch-size {maxBatchSize}: must be 0 (the model does not batch) or more.");
        }

        var path = InputFiles.ResolveWarmupFile(inPath);
        var result = TritonExport.Export(InputFiles.ReadRaw(InputFiles.RequireFile(path, "the warmup file"), context), path, modelDirectory, maxBatchSize);
        context.Info($"{result.SectionFile}: {(result.Merged ? "merged" : "wrote")} model_warmup with {result.Samples} sample(s) (max_batch_size {result.MaxBatchSize})" +
            $"{(result.Replaced > 0 ? $", replacing {result.Replaced} earlier one(s)" : "")}; {result.DataFiles} data file(s) in {Path.Combine(modelDirectory, "warmup")}.");
        return ExitCodes.Success;
    }

    private static IEnumerable<ReadOnlyMemory<byte>> FromJson(string path, TensorLimits limits)
    {
        using var stream = InputFiles.OpenRead(path, "the JSON file");
        using var records = WarmupJson.Read(stream, path, limits).GetEnumerator();
        while (true)
        {
            try
            {
                if (!records.MoveNext())
                {
                    yield break;
                }
            }
            catch (WarmupFormatException ex) when (ex.InnerException is JsonException syntax)
            {
                // The tool's one form for syntax errors: file:line:column (docs/cli.md).
                throw CliException.Invalid($"{path}:{(syntax.LineNumber ?? 0) + 1}:{(syntax.BytePositionInLine ?? 0) + 1}: {WarmupJson.SyntaxProblem(syntax)}");
            }

            yield return records.Current.Bytes;
        }
    }

    private static IEnumerable<ReadOnlyMemory<byte>> FromTriton(string path, string? modelName, int seed, int maxRecords, TensorLimits limits) =>
        TritonWarmup.ToLogs(TritonWarmup.ResolveConfig(path), modelName, seed, maxRecords, limits).Select(l => (ReadOnlyMemory<byte>)DeterministicProto.Serialize(l));

    private static int WriteTfRecord(CliContext context, string path, IEnumerable<ReadOnlyMemory<byte>> records)
    {
        var count = 0;
        OutputFile.Write(context, path, stream =>
        {
            using var writer = new TfRecordWriter(stream, leaveOpen: true);
            foreach (var record in records)
            {
                writer.Write(record.Span);
                count++;
            }

            writer.Flush();
        });
        return count;
    }

    private static int WriteJson(CliContext context, string path, string source, IEnumerable<ReadOnlyMemory<byte>> records)
    {
        var count = 0;
        OutputFile.Write(context, path, stream => count = WarmupJson.Write(stream, records, source));
        return count;
    }
}
