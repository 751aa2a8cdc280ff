using System.CommandLine;
using System.Globalization;
using Warmup.Format;

namespace Warmup.Cli.Commands;

/// <summary><c>warmup coverage &lt;warmup file&gt; &lt;log&gt;… [--model-name NAME] [--json] [--min-coverage F]</c>: which logged requests the file's shapes warm.</summary>
internal static class CoverageCommand
{
    public static Command Create(CliContext context)
    {
        var warmupFile = new Argument<string>("warmup-file") { Description = "The warmup file, or a model version directory holding assets.extra/tf_serving_warmup_requests." };
        var logs = new Argument<string[]>("log") { Description = "PredictionLog TFRecord files: Warmup recordings or TF Serving request logs.", Arity = ArgumentArity.OneOrMore };
        var modelName = new Option<string>("--model-name") { Description = "Only requests for this TF Serving model name (logs may hold several models)." };
        var json = new Option<bool>("--json") { Description = "Print JSON on stdout: {\"requests\",\"covered\",\"coveredFraction\",\"uncovered\":[{\"model\",\"signature\",\"inputs\",\"count\"}]}." };
        var minCoverage = new Option<double?>("--min-coverage") { Description = "Exit 1 when the covered fraction is below this (0 to 1), so CI can gate a deploy." };
        var command = new Command("coverage",
            "Report which logged requests a warmup file covers: a request is covered when the file holds a record of its signature and every " +
            "input's dtype and shape. Exit 0 when the files are readable; with --min-coverage, exit 1 below it.")
        {
            warmupFile, logs, modelName, json, minCoverage,
        };
        command.SetAction(parse => Program.Guard(context, () => Run(context, InputFiles.ResolveWarmupFile(parse.GetValue(warmupFile)!), parse.GetValue(logs)!,
            parse.GetValue(modelName), parse.GetValue(json), parse.GetValue(minCoverage))));
        return command;
    }

    private sealed class Uncovered(RequestGroupKey key, int order)
    {
        public RequestGroupKey Key { get; } = key;
        public int Order { get; } = order;
        public long Count { get; set; }
    }

    private static int Run(CliContext context, string warmupFile, string[] logs, string? modelName, bool json, double? minCoverage)
    {
        if (minCoverage is { } min && (double.IsNaN(min) || min < 0 || min > 1))
        {
            throw CliException.Usage($"--min-coverage is {min.ToString(CultureInfo.InvariantCulture)}; it must be 0 to 1 (a fraction of requests).");
        }

        // TF Serving replays a model's warmup file whatever model name its records carry, so only shapes are compared.
        InputFiles.RequireFile(warmupFile, "the warmup file");
        var warmed = new HashSet<RequestShape>();
        foreach (var record in InputFiles.ReadRaw(warmupFile, context))
        {
            warmed.UnionWith(RequestShape.FromLog(record.Log));
        }

        var uncovered = new Dictionary<RequestGroupKey, Uncovered>();
        long requests = 0, covered = 0, skipped = 0;
        foreach (var request in TrafficLogs.Read(logs, modelName, context, _ => skipped++))
        {
            requests++;
            if (request.Key.Shapes.Count > 0 && request.Key.Shapes.All(warmed.Contains))
            {
                covered++;
                continue;
            }

            if (!uncovered.TryGetValue(request.Key, out var group))
            {
                uncovered[request.Key] = group = new Uncovered(request.Key, uncovered.Count);
            }

            group.Count++;
        }

        if (requests == 0)
        {
            throw CliException.Invalid(modelName is null
                ? $"the logs hold no request TF Serving replays as warmup ({skipped} record(s) skipped)."
                : $"the logs hold no request for model \"{modelName}\" ({skipped} record(s) skipped). Check --model-name.");
        }

        var fraction = TrafficLogs.Fraction(covered, requests);
        var ranked = uncovered.Values.OrderByDescending(g => g.Count).ThenBy(g => g.Order).ToList();
        if (json)
        {
            using var output = new JsonOutput(context.Out);
            var w = output.Writer;
            w.WriteStartObject();
            w.WriteNumber("requests", requests);
            w.WriteNumber("covered", covered);
            w.WriteNumber("coveredFraction", TrafficLogs.Rounded(fraction));
            w.WriteStartArray("uncovered");
            foreach (var group in ranked)
            {
                w.WriteStartObject();
                group.Key.WriteProperties(w);
                w.WriteNumber("count", group.Count);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }
        else
        {
            foreach (var group in ranked)
            {
                context.Error.WriteLine($"{group.Count,8} uncovered request(s)  {group.Key}");
            }

            context.Info($"{warmupFile}: covers {covered} of {requests} logged request(s) ({TrafficLogs.Percent(covered, requests)}); " +
                         $"{ranked.Count} request shape(s) not warmed" + (skipped > 0 ? $"; {skipped} record(s) skipped." : "."));
        }

        if (minCoverage is { } required && fraction < required)
        {
            context.Error.WriteLine($"error: coverage {fraction.ToString("F3", CultureInfo.InvariantCulture)} is below --min-coverage " +
                                    $"{required.ToString(CultureInfo.InvariantCulture)}. Record the uncovered shapes and run `warmup select` into the warmup file.");
            return ExitCodes.Invalid;
        }

        return ExitCodes.Success;
    }
}
