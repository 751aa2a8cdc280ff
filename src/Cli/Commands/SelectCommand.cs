using System.CommandLine;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Signatures;

namespace Warmup.Cli.Commands;

/// <summary>
/// <c>warmup select &lt;log&gt;… --out F [--max-records N] [--per-shape K] [--model-name NAME] [--model M] [--json]</c>: turns
/// request logs into a warmup file — the most requested shapes first, K records each, N at most.
/// </summary>
internal static class SelectCommand
{
    public static Command Create(CliContext context)
    {
        var logs = new Argument<string[]>("log") { Description = "PredictionLog TFRecord files: Warmup recordings or TF Serving request logs.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "The warmup file to write (atomically; the same logs give the same bytes).", Required = true };
        var maxRecords = new Option<int>("--max-records") { Description = $"Most records written (1 to {TfServing.MaxRecords}, default {TfServing.MaxRecords}).", DefaultValueFactory = _ => TfServing.MaxRecords };
        var perShape = new Option<int>("--per-shape") { Description = "Records kept per request shape (default 1).", DefaultValueFactory = _ => 1 };
        var modelName = new Option<string>("--model-name") { Description = "Only requests for this TF Serving model name (logs may hold several models)." };
        var model = new Option<string>("--model") { Description = "Check the selected records against this model (.onnx or SavedModel) before writing." };
        var json = new Option<bool>("--json") { Description = "Print JSON on stdout: {\"out\",\"records\",\"requests\",\"covered\",\"coveredFraction\",\"groups\":[…]}." };
        var command = new Command("select",
            "Select warmup records from request logs: group requests by model, signature and each input's dtype and shape, rank the groups " +
            "by request count (ties by first appearance), keep --per-shape records of each until --max-records, and print the coverage achieved.")
        {
            logs, output, maxRecords, perShape, modelName, model, json,
        };
        command.SetAction(parse => Program.Guard(context, () => Run(context, parse.GetValue(logs)!, parse.GetValue(output)!, parse.GetValue(maxRecords),
            parse.GetValue(perShape), parse.GetValue(modelName), parse.GetValue(model), parse.GetValue(json))));
        return command;
    }

    private sealed class Group(RequestGroupKey key, int order)
    {
        public RequestGroupKey Key { get; } = key;
        public int Order { get; } = order;
        public long Count { get; set; }
        public int Quota { get; set; }
        public List<LoggedRequest> Kept { get; } = [];
    }

    private static int Run(CliContext context, string[] logs, string output, int maxRecords, int perShape, string? modelName, string? modelPath, bool json)
    {
        if (maxRecords is < 1 or > TfServing.MaxRecords)
        {
            throw CliException.Usage($"--max-records is {maxRecords}; it must be 1 to {TfServing.MaxRecords} (TF Serving fails the load above {TfServing.MaxRecords} records).");
        }

        if (perShape is < 1 or > TfServing.MaxRecords)
        {
            throw CliException.Usage($"--per-shape is {perShape}; it must be 1 to {TfServing.MaxRecords}.");
        }

        var signatures = modelPath is null ? null : ModelInput.Load(modelPath, modelName, context);

        // Pass 1 counts the groups (memory: one entry per distinct shape); pass 2 keeps the chosen records' bytes only.
        var groups = new Dictionary<RequestGroupKey, Group>();
        long requests = 0, skipped = 0;
        foreach (var request in TrafficLogs.Read(logs, modelName, context, _ => skipped++))
        {
            requests++;
            if (!groups.TryGetValue(request.Key, out var group))
            {
                groups[request.Key] = group = new Group(request.Key, groups.Count);
            }

            group.Count++;
        }

        if (requests == 0)
        {
            throw CliException.Invalid(modelName is null
                ? $"the logs hold no request TF Serving replays as warmup ({skipped} record(s) skipped). Record predict, classify, regress or multi_inference requests."
                : $"the logs hold no request for model \"{modelName}\" ({skipped} record(s) skipped). Check --model-name.");
        }

        var ranked = groups.Values.OrderByDescending(g => g.Count).ThenBy(g => g.Order).ToList();
        var remaining = maxRecords;
        foreach (var group in ranked)
        {
            group.Quota = (int)Math.Min(Math.Min(perShape, group.Count), remaining);
            remaining -= group.Quota;
        }

        foreach (var request in TrafficLogs.Read(logs, modelName, context))
        {
            var group = groups[request.Key];
            if (group.Kept.Count < group.Quota)
            {
                group.Kept.Add(request);
            }
        }

        var selected = ranked.Where(g => g.Quota > 0).ToList();
        var kept = selected.SelectMany(g => g.Kept).ToList();
        if (signatures is not null)
        {
            var problems = kept.SelectMany(r => SignatureChecker.Check(r.Log, signatures)
                .Where(i => i.Severity == WarmupIssueSeverity.Error)
                .Select(i => WarmupException.Compose(r.File, r.Index, r.Offset, i.Message))).ToList();
            if (problems.Count > 0)
            {
                foreach (var problem in problems.Skip(1))
                {
                    context.Error.WriteLine("error: " + problem);
                }

                throw CliException.Invalid(problems[0] + $" ({problems.Count} problem(s) against {modelPath}; nothing was written. Pass --model-name to select only this model's requests.)");
            }
        }

        var result = WarmupFile.Write(output, kept.Select(r => r.Log));
        var covered = selected.Sum(g => g.Count);
        if (json)
        {
            using var jsonOutput = new JsonOutput(context.Out);
            var w = jsonOutput.Writer;
            w.WriteStartObject();
            w.WriteString("out", result.Path);
            w.WriteNumber("records", result.Records);
            w.WriteNumber("bytes", result.Bytes);
            w.WriteNumber("requests", requests);
            w.WriteNumber("covered", covered);
            w.WriteNumber("coveredFraction", TrafficLogs.Rounded(TrafficLogs.Fraction(covered, requests)));
            w.WriteNumber("skipped", skipped);
            w.WriteStartArray("groups");
            foreach (var group in ranked)
            {
                w.WriteStartObject();
                group.Key.WriteProperties(w);
                w.WriteNumber("count", group.Count);
                w.WriteNumber("kept", group.Quota);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }
        else
        {
            foreach (var group in ranked)
            {
                context.Error.WriteLine($"{group.Count,8} request(s)  kept {group.Quota}  {group.Key}");
            }
        }

        context.Info($"{result.Path}: wrote {result.Records} record(s), {result.Bytes} bytes, from {selected.Count} of {ranked.Count} request shape(s); " +
                     $"they cover {covered} of {requests} logged request(s) ({TrafficLogs.Percent(covered, requests)})" +
                     (skipped > 0 ? $"; {skipped} record(s) skipped (other models, or log types TF Serving does not replay)." : "."));
        return ExitCodes.Success;
    }
}
