using System.CommandLine;
using System.Globalization;
using Warmup.Runtime;

namespace Warmup.Cli.Commands;

/// <summary><c>warmup run --model M --requests F</c>: replays a warmup file through Warmup.Runtime and prints its report.</summary>
internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "The ONNX model (.onnx).", Required = true };
        var requests = new Option<string>("--requests") { Description = "The warmup file to replay (or a model version directory holding assets.extra/tf_serving_warmup_requests).", Required = true };
        var iterations = CliOptions.Int("--iterations", "Times each record runs (TF Serving's num_request_iterations; 0 is a dry run: records are read, mapped and checked)",
            WarmupReplayOptions.DefaultIterations, 0, 1_000_000);
        var threads = CliOptions.Int("--threads", "Parallel replay threads (TF Serving's num_model_warmup_threads)", 1, 1, 256);
        var maxRecordMib = CliOptions.MaxRecordMib();
        var device = DeviceOption();
        var json = new Option<bool>("--json") { Description = "Print the Runtime's report as JSON on stdout." };
        var command = new Command("run",
            "Replay a warmup file on an ONNX model through Warmup.Runtime and print its report. Exit 1 when a record fails.")
        {
            model, requests, iterations, threads, device, json, maxRecordMib,
        };
        command.SetAction(parse => Program.Guard(context, () => Run(context, parse.GetValue(model)!, InputFiles.ResolveWarmupFile(parse.GetValue(requests)!),
            new WarmupReplayOptions
            {
                Iterations = parse.GetValue(iterations),
                Threads = parse.GetValue(threads),
                FailurePolicy = WarmupFailurePolicy.LogAndContinue,
                TensorLimits = CliOptions.Limits(parse.GetValue(maxRecordMib)),
            },
            parse.GetValue(device)!, parse.GetValue(json))));
        return command;
    }

    internal static Option<string> DeviceOption()
    {
        var device = new Option<string>("--device") { Description = "Execution provider: auto (CUDA when present, else CPU), cpu or cuda.", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong("auto", "cpu", "cuda");
        return device;
    }

    private static int Run(CliContext context, string modelPath, string requestsPath, WarmupReplayOptions options, string device, bool json)
    {
        OnnxSessions.RequireOnnx(modelPath);
        InputFiles.RequireFile(requestsPath, "the warmup file");
        var provider = OnnxSessions.ParseDevice(device);
        var used = provider;
        using var session = OnnxSessions.Factory(modelPath, provider, context, p => used = p)();
        WarmupReport report;
        using (context.StartProgress($"replaying {Path.GetFileName(requestsPath)} on {OnnxSessions.Name(used)}…", null, json).Show())
        {
            try
            {
                report = OnnxWarmup.RunAsync(session, requestsPath, options, context.Cancellation).GetAwaiter().GetResult();
            }
            catch (WarmupReplayException ex)
            {
                throw new CliException(ex.Kind == WarmupFailureKind.Io ? ExitCodes.Usage : ExitCodes.Invalid, ex.Message, ex);
            }
        }

        if (json)
        {
            context.Out.WriteLine(report.ToJson());
        }
        else
        {
            PrintTable(context, report, used);
        }

        return report.Summary.Failed > 0 || report.FileError is not null ? ExitCodes.Invalid : ExitCodes.Success;
    }

    private static void PrintTable(CliContext context, WarmupReport report, ExecutionProvider device)
    {
        var output = context.Out;
        output.WriteLine($"{"#",5}  {"offset",10}  {"type",-10}  {"status",-7}  {"iterations (ms)",-28}  inputs");
        foreach (var record in report.Records)
        {
            var times = string.Join(" ", record.IterationMs.Select(t => t.ToString("0.000", CultureInfo.InvariantCulture)));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{record.Index,5}  {record.Offset,10}  {record.LogType,-10}  {record.Status,-7}  {times,-28}  {string.Join(" ", record.Inputs.Select(i => i.ToString()))}"));
            if (record.Error is { } error)
            {
                context.Error.WriteLine($"error: {error}");
            }
        }

        if (report.FileError is { } fileError)
        {
            context.Error.WriteLine($"error: {fileError}");
        }

        var s = report.Summary;
        var ratio = s.MaxLastToFirstRatio is { } r ? string.Create(CultureInfo.InvariantCulture, $"; largest last/first iteration ratio {r:0.00}.") : ".";
        context.Info(string.Create(CultureInfo.InvariantCulture,
            $"{report.Source}: {s.Records} record(s), {s.Replayed} replayed, {s.Failed} failed, {s.Skipped} skipped; {s.Runs} run(s) in {s.ElapsedMs:0.0} ms on {OnnxSessions.Name(device)}{ratio}"));
    }
}
