using System.CommandLine;
using System.Globalization;
using Warmup.Runtime;

namespace Warmup.Cli.Commands;

/// <summary>
/// <c>warmup measure --model M --requests F</c>: per request shape, the first request in a fresh session without warmup,
/// the first right after replaying the file, and two steady p50s (back to back, and in context: right after the file's
/// last record, as the warm first request is), measured by Warmup.Runtime in this one process.
/// </summary>
internal static class MeasureCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "The ONNX model (.onnx).", Required = true };
        var requests = new Option<string>("--requests") { Description = "The warmup file (or a model version directory holding assets.extra/tf_serving_warmup_requests).", Required = true };
        var repeat = CliOptions.Int("--repeat", "K: runs per shape for each steady median (back to back, and in context)", 20, 1, 100_000);
        var iterations = CliOptions.Int("--iterations", "Times each record runs when warming (TF Serving's num_request_iterations; 0 is a dry run)",
            WarmupReplayOptions.DefaultIterations, 0, 1_000_000);
        var device = RunCommand.DeviceOption();
        var maxRecordMib = CliOptions.MaxRecordMib();
        var json = new Option<bool>("--json") { Description = "Print JSON on stdout: {\"records\":[{\"index\",\"shape\",\"coldFirstMs\",\"warmFirstMs\",\"steadyP50Ms\",\"inContextP50Ms\"}],\"summary\":{…}}." };
        var report = new Option<string>("--report") { Description = "Also write a self-contained HTML page with a chart (cold vs warm vs steady per shape); - for standard output." };
        var command = new Command("measure",
            "Measure, per request shape, the first request without and with warmup against the steady p50.")
        {
            model, requests, repeat, iterations, device, json, report, maxRecordMib,
        };
        command.SetAction(parse => Program.Guard(context, () => Run(context, parse.GetValue(model)!, InputFiles.ResolveWarmupFile(parse.GetValue(requests)!),
            parse.GetValue(repeat), new WarmupReplayOptions { Iterations = parse.GetValue(iterations), TensorLimits = CliOptions.Limits(parse.GetValue(maxRecordMib)) },
            parse.GetValue(device)!, parse.GetValue(json), parse.GetValue(report))));
        return command;
    }

    private static int Run(CliContext context, string modelPath, string requestsPath, int repeat, WarmupReplayOptions replay, string device, bool json, string? reportPath)
    {
        OnnxSessions.RequireOnnx(modelPath);
        InputFiles.RequireFile(requestsPath, "the warmup file");
        var provider = OnnxSessions.ParseDevice(device);
        var used = provider;
        var factory = OnnxSessions.Factory(modelPath, provider, context, p => used = p);
        WarmupMeasurementReport measured;
        using (context.StartProgress($"measuring {Path.GetFileName(requestsPath)} (cold, warm and {repeat} steady runs per shape)…", null, json).Show())
        {
            try
            {
                measured = WarmupMeasurement.MeasureAsync(factory, requestsPath, new WarmupMeasurementOptions
                {
                    SteadyRuns = repeat,
                    Replay = replay,
                }, context.Cancellation).GetAwaiter().GetResult();
            }
            catch (WarmupReplayException ex)
            {
                throw new CliException(ex.Kind == WarmupFailureKind.Io ? ExitCodes.Usage : ExitCodes.Invalid, ex.Message, ex);
            }
        }

        if (measured.Shapes.Count == 0)
        {
            throw CliException.Invalid($"{requestsPath}: no record runs anything on this model, so there is nothing to measure.");
        }

        if (reportPath is not null)
        {
            OutputFile.Write(context, reportPath, stream => HtmlReport.Write(stream, measured, modelPath, OnnxSessions.Name(used)));
        }

        if (json)
        {
            WriteJson(context, measured, used);
        }
        else
        {
            PrintTable(context, measured, used);
        }

        if (reportPath is not null)
        {
            context.Info($"{reportPath}: wrote the HTML report.");
        }

        return ExitCodes.Success;
    }

    private static void WriteJson(CliContext context, WarmupMeasurementReport measured, ExecutionProvider device)
    {
        using var output = new JsonOutput(context.Out);
        var w = output.Writer;
        w.WriteStartObject();
        w.WriteString("file", measured.Source);
        w.WriteString("device", OnnxSessions.Name(device));
        w.WriteStartArray("records");
        foreach (var shape in measured.Shapes)
        {
            w.WriteStartObject();
            w.WriteNumber("index", shape.FirstRecordIndex);
            w.WriteString("shape", shape.Shape);
            w.WriteString("signature", shape.Signature);
            w.WriteNumber("records", shape.Records);
            w.WriteNumber("coldFirstMs", shape.ColdFirstMs);
            w.WriteNumber("warmFirstMs", shape.WarmFirstMs);
            w.WriteNumber("steadyP50Ms", shape.SteadyP50Ms);
            w.WriteNumber("inContextP50Ms", shape.InContextP50Ms);
            w.WriteNumber("coldFirstToSteady", shape.ColdFirstRatio);
            w.WriteNumber("warmFirstToSteady", shape.WarmFirstRatio);
            w.WriteNumber("coldFirstToInContext", shape.ColdFirstInContextRatio);
            w.WriteNumber("warmFirstToInContext", shape.WarmFirstInContextRatio);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        var s = measured.Summary;
        w.WriteStartObject("summary");
        w.WriteNumber("shapes", s.Shapes);
        w.WriteNumber("records", s.Records);
        w.WriteNumber("iterations", s.Iterations);
        w.WriteNumber("steadyRuns", s.SteadyRuns);
        w.WriteNumber("contextRecord", s.ContextRecordIndex);
        w.WriteNumber("warmupMs", s.WarmupWallMs);
        w.WriteNumber("absorbedColdMs", s.AbsorbedColdMs);
        w.WriteNumber("absorbedSequentialMs", s.AbsorbedSequentialMs);
        w.WriteNumber("maxWarmFirstToSteady", s.MaxWarmFirstRatio);
        w.WriteNumber("medianWarmFirstToSteady", s.MedianWarmFirstRatio);
        w.WriteNumber("maxColdFirstToSteady", s.MaxColdFirstRatio);
        w.WriteNumber("medianColdFirstToSteady", s.MedianColdFirstRatio);
        w.WriteNumber("maxWarmFirstToInContext", s.MaxWarmFirstInContextRatio);
        w.WriteNumber("medianWarmFirstToInContext", s.MedianWarmFirstInContextRatio);
        w.WriteNumber("maxColdFirstToInContext", s.MaxColdFirstInContextRatio);
        w.WriteNumber("medianColdFirstToInContext", s.MedianColdFirstInContextRatio);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void PrintTable(CliContext context, WarmupMeasurementReport measured, ExecutionProvider device)
    {
        var output = context.Out;
        output.WriteLine($"{"#",5}  {"cold first",10}  {"warm first",10}  {"steady p50",10}  {"in context",10}  {"cold/p50",8}  {"warm/p50",8}  {"warm/ctx",8}  shape");
        foreach (var shape in measured.Shapes)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{shape.FirstRecordIndex,5}  {shape.ColdFirstMs,8:0.000}ms  {shape.WarmFirstMs,8:0.000}ms  {shape.SteadyP50Ms,8:0.000}ms  {shape.InContextP50Ms,8:0.000}ms  " +
                $"{shape.ColdFirstRatio,7:0.00}x  {shape.WarmFirstRatio,7:0.00}x  {shape.WarmFirstInContextRatio,7:0.00}x  {shape.Shape}"));
        }

        var s = measured.Summary;
        context.Info(string.Create(CultureInfo.InvariantCulture,
            $"{measured.Source}: {s.Shapes} shape(s) from {s.Records} record(s) on {OnnxSessions.Name(device)}; first request / steady p50: cold median {s.MedianColdFirstRatio:0.00}x " +
            $"(max {s.MaxColdFirstRatio:0.00}x), after warmup median {s.MedianWarmFirstRatio:0.00}x (max {s.MaxWarmFirstRatio:0.00}x); after warmup / in-context p50 " +
            $"(each shape right after record {s.ContextRecordIndex}) median {s.MedianWarmFirstInContextRatio:0.00}x (max {s.MaxWarmFirstInContextRatio:0.00}x); " +
            $"replaying the file took {s.WarmupWallMs:0.0} ms."));
    }
}
