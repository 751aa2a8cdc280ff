using System.CommandLine;
using Warmup.Format;
using Warmup.Format.Signatures;

namespace Warmup.Cli.Commands;

/// <summary><c>warmup validate &lt;file&gt; [--model M] [--signature S] [--json]</c>: TF Serving's rules, plus the model's signature.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("file") { Description = "The warmup file, or a model version directory holding assets.extra/tf_serving_warmup_requests." };
        var model = new Option<string>("--model") { Description = "Also check every record against this model's signature: an .onnx file or a SavedModel directory." };
        var signature = new Option<string>("--signature") { Description = "Check records against this signature instead of the one each record names (needs --model)." };
        var json = new Option<bool>("--json") { Description = "Print JSON on stdout: {\"valid\",\"records\",\"errors\":[{\"record\",\"offset\",\"message\"}],\"warnings\":[…]}." };
        var maxRecordMib = CliOptions.MaxRecordMib();
        var command = new Command("validate",
            "Check a warmup file the way TF Serving loads it, and with --model against the model's signature. Exit 1 when invalid.")
        {
            file, model, signature, json, maxRecordMib,
        };
        command.SetAction(parse => Program.Guard(context, () =>
            Run(context, InputFiles.ResolveWarmupFile(parse.GetValue(file)!), parse.GetValue(model), parse.GetValue(signature), parse.GetValue(json),
            CliOptions.Limits(parse.GetValue(maxRecordMib)))));
        return command;
    }

    private static int Run(CliContext context, string path, string? modelPath, string? signatureName, bool json, Warmup.Format.Tensors.TensorLimits limits)
    {
        InputFiles.RequireFile(path, "the warmup file");
        if (signatureName is not null && modelPath is null)
        {
            throw CliException.Usage("--signature needs --model: it selects the model signature records are checked against.");
        }

        Func<WarmupRecord, IEnumerable<WarmupIssue>>? check = null;
        if (modelPath is not null)
        {
            var signatures = ModelInput.Load(modelPath, null, context);
            if (signatureName is not null)
            {
                ModelInput.Select(signatures, signatureName, modelPath);
            }

            var options = new SignatureCheckOptions { SignatureName = signatureName };
            check = record => SignatureChecker.Check(record.Log, signatures, options)
                .Select(issue => issue with { RecordIndex = record.Index, Offset = record.Offset });
        }

        WarmupValidationReport report;
        using (var progress = context.StartProgress("validating record", null, json))
        {
            var inner = check;
            report = WarmupValidator.Validate(path, record =>
            {
                progress.Report(record.Index + 1);
                return inner?.Invoke(record) ?? [];
            }, limits);
        }

        var errors = report.Issues.Where(i => i.Severity == WarmupIssueSeverity.Error).ToList();
        var warnings = report.Issues.Where(i => i.Severity == WarmupIssueSeverity.Warning).ToList();
        if (json)
        {
            using var output = new JsonOutput(context.Out);
            var w = output.Writer;
            w.WriteStartObject();
            w.WriteString("file", path);
            w.WriteBoolean("valid", report.IsValid);
            w.WriteNumber("records", report.Records);
            WriteIssues(w, "errors", errors);
            WriteIssues(w, "warnings", warnings);
            w.WriteEndObject();
        }
        else
        {
            foreach (var issue in report.Issues)
            {
                var prefix = issue.Severity == WarmupIssueSeverity.Error ? "error" : "warning";
                context.Error.WriteLine($"{prefix}: {WarmupException.Compose(path, issue.RecordIndex, issue.Offset, issue.Message)}");
            }

            var against = modelPath is null ? "TF Serving's rules" : $"TF Serving's rules and {modelPath}";
            context.Error.WriteLine(report.IsValid
                ? $"{path}: valid against {against}: {report.Records} record(s), {warnings.Count} warning(s)."
                : $"{path}: invalid against {against}: {errors.Count} error(s), {warnings.Count} warning(s) in {report.Records} record(s) read.");
        }

        return report.IsValid ? ExitCodes.Success : ExitCodes.Invalid;
    }

    private static void WriteIssues(System.Text.Json.Utf8JsonWriter w, string name, List<WarmupIssue> issues)
    {
        w.WriteStartArray(name);
        foreach (var issue in issues)
        {
            w.WriteStartObject();
            if (issue.RecordIndex is { } record)
            {
                w.WriteNumber("record", record);
            }
            else
            {
                w.WriteNull("record");
            }

            if (issue.Offset is { } offset)
            {
                w.WriteNumber("offset", offset);
            }
            else
            {
                w.WriteNull("offset");
            }

            w.WriteString("kind", issue.Kind.ToString());
            w.WriteString("message", issue.Message);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
