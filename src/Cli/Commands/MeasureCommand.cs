using System.CommandLine;
using System.Globalization;
using Warmup.Runtime;
using Warmup.Runtime.Measurement;

namespace Warmup.Cli.Commands;

/// <summary>
/// <c>warmup measure --model M --requests F</c>: per request shape, the first request without warmup and right after
/// replaying the file, against the steady p50. <c>--scope process</c> (the default) measures in fresh processes of this
/// tool (the hidden <c>measure-child</c> command), as a restarted host meets cold start; <c>--scope session</c> compares
/// fresh sessions inside this one process, with a second, in-context steady p50 (right after the file's last record).
/// </summary>
internal static class MeasureCommand
{
    /// <summary>The hidden command a fresh-process measurement starts: it measures one condition and prints one JSON line.</summary>
    public const string ChildCommandName = "measure-child";

    public static Command Create(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "The ONNX model (.onnx).", Required = true };
        var requests = new Option<string>("--requests") { Description = "The warmup file (or a model version directory holding assets.extra/tf_serving_warmup_requests).", Required = true };
        var repeat = RepeatOption();
        var iterations = IterationsOption();
        var device = RunCommand.DeviceOption();
        var maxRecordMib = CliOptions.MaxRecordMib();
        var scope = new Option<string>("--scope")
        {
            Description = "process: every figure from fresh processes of this tool, as a restarted host meets cold start (default); " +
                "session: fresh sessions inside this one process, with an in-context steady p50.",
            DefaultValueFactory = _ => "process",
        };
        scope.AcceptOnlyFromAmong("process", "session");
        var processes = CliOptions.Int("--processes", "K: fresh processes per condition (cold and warm) with --scope process", 5, 1, 1000);
        var timeout = CliOptions.Int("--timeout", "Seconds one fresh process may take before it is killed and the measurement fails", 300, 1, 86_400);
        var json = new Option<bool>("--json")
        {
            Description = "Print JSON on stdout: {\"records\":[{\"index\",\"shape\",\"coldFirstMs\",\"warmFirstMs\",\"steadyP50Ms\",…}],\"summary\":{\"scope\",\"processes\",…}}; " +
                "with --scope process the figures are medians over processes, with their min–max in \"spread\".",
        };
        var report = new Option<string>("--report") { Description = "Also write a self-contained HTML page with a chart (cold vs warm vs steady per shape); - for standard output." };
        var command = new Command("measure",
            "Measure, per request shape, the first request without and with warmup against the steady p50 (in fresh processes by default).")
        {
            model, requests, repeat, iterations, device, scope, processes, timeout, json, report, maxRecordMib,
        };
        command.SetAction(parse => Program.Guard(context, () =>
        {
            var modelPath = parse.GetValue(model)!;
            var requestsPath = InputFiles.ResolveWarmupFile(parse.GetValue(requests)!);
            var settings = new Settings(parse.GetValue(repeat), parse.GetValue(iterations), parse.GetValue(maxRecordMib), parse.GetValue(device)!);
            return parse.GetValue(scope) == "session"
                ? Run(context, modelPath, requestsPath, settings, parse.GetValue(json), parse.GetValue(report))
                : RunInProcesses(context, modelPath, requestsPath, settings, parse.GetValue(processes), TimeSpan.FromSeconds(parse.GetValue(timeout)),
                    parse.GetValue(json), parse.GetValue(report));
        }));
        return command;
    }

    /// <summary>
    /// <c>warmup measure-child --condition cold|warm …</c> (hidden): this process creates the session, replays the file when
    /// warm, measures each shape's first request and steady p50, and prints one JSON line (<see cref="ChildMeasurement"/>).
    /// </summary>
    public static Command CreateChild(CliContext context)
    {
        var model = new Option<string>("--model") { Required = true };
        var requests = new Option<string>("--requests") { Required = true };
        var condition = new Option<string>("--condition") { Required = true };
        condition.AcceptOnlyFromAmong("cold", "warm");
        var repeat = RepeatOption();
        var iterations = IterationsOption();
        var device = RunCommand.DeviceOption();
        var maxRecordMib = CliOptions.MaxRecordMib();
        var command = new Command(ChildCommandName, "One fresh process of `warmup measure --scope process` (internal).")
        {
            model, requests, condition, repeat, iterations, device, maxRecordMib,
        };
        command.Hidden = true;
        command.SetAction(parse => Program.Guard(context, () => RunChild(context, parse.GetValue(model)!, parse.GetValue(requests)!,
            parse.GetValue(condition) == "warm" ? MeasurementCondition.Warm : MeasurementCondition.Cold,
            new Settings(parse.GetValue(repeat), parse.GetValue(iterations), parse.GetValue(maxRecordMib), parse.GetValue(device)!))));
        return command;
    }

    private sealed record Settings(int Repeat, int Iterations, int MaxRecordMib, string Device)
    {
        public WarmupReplayOptions Replay => new() { Iterations = Iterations, TensorLimits = CliOptions.Limits(MaxRecordMib) };
    }

    private static Option<int> RepeatOption() => CliOptions.Int("--repeat", "K: runs per shape for each steady median", 20, 1, 100_000);

    private static Option<int> IterationsOption() => CliOptions.Int("--iterations",
        "Times each record runs when warming (TF Serving's num_request_iterations; 0 is a dry run)", WarmupReplayOptions.DefaultIterations, 0, 1_000_000);

    private static int RunChild(CliContext context, string modelPath, string requestsPath, MeasurementCondition condition, Settings settings)
    {
        var provider = OnnxSessions.ParseDevice(settings.Device);
        var used = provider;
        var factory = OnnxSessions.Factory(modelPath, provider, context, p => used = p);
        ChildMeasurement measured;
        try
        {
            measured = ProcessMeasurement.MeasureThisProcessAsync(factory, requestsPath, condition, new WarmupMeasurementOptions
            {
                SteadyRuns = settings.Repeat,
                Replay = settings.Replay,
            }, context.Cancellation).GetAwaiter().GetResult();
        }
        catch (WarmupReplayException ex)
        {
            throw new CliException(ex.Kind == WarmupFailureKind.Io ? ExitCodes.Usage : ExitCodes.Invalid, ex.Message, ex);
        }

        context.Out.WriteLine((measured with { Device = OnnxSessions.Name(used) }).ToJsonLine());
        return ExitCodes.Success;
    }

    private static int RunInProcesses(CliContext context, string modelPath, string requestsPath, Settings settings, int processes, TimeSpan timeout, bool json, string? reportPath)
    {
        OnnxSessions.RequireOnnx(modelPath);
        InputFiles.RequireFile(requestsPath, "the warmup file");
        OnnxSessions.ParseDevice(settings.Device);
        var model = Path.GetFullPath(modelPath);
        var file = Path.GetFullPath(requestsPath);
        ProcessMeasurementReport measured;
        using (var progress = context.StartProgress($"measuring {Path.GetFileName(requestsPath)} in fresh processes ({processes} cold, {processes} warm)", 2 * processes, json))
        {
            progress.Report(0);
            try
            {
                measured = ProcessMeasurement.MeasureAsync((condition, _) => ProcessMeasurement.StartInfoFor(typeof(Program).Assembly,
                [
                    ChildCommandName, "--model", model, "--requests", file, "--condition", condition == MeasurementCondition.Warm ? "warm" : "cold",
                    "--repeat", settings.Repeat.ToString(CultureInfo.InvariantCulture), "--iterations", settings.Iterations.ToString(CultureInfo.InvariantCulture),
                    "--max-record-mib", settings.MaxRecordMib.ToString(CultureInfo.InvariantCulture),
                    "--device", settings.Device,
                ]), requestsPath, new ProcessMeasurementOptions
                {
                    Processes = processes,
                    ChildTimeout = timeout,
                    Progress = new Reporter(progress),
                }, context.Cancellation).GetAwaiter().GetResult();
            }
            catch (MeasurementProcessException ex)
            {
                // A child's own usage or input error keeps its exit code; anything else is a failed run.
                throw new CliException(ex.ExitCode is ExitCodes.Usage && ex.ChildError is not null ? ExitCodes.Usage : ExitCodes.Invalid, ex.Message, ex);
            }
        }

        if (measured.Shapes.Count == 0)
        {
            throw CliException.Invalid($"{requestsPath}: no record runs anything on this model, so there is nothing to measure.");
        }

        var device = measured.Summary.Device ?? settings.Device;
        return Output(context, reportPath, json, stream => HtmlReport.Write(stream, measured, modelPath, device),
            () => WriteJson(context, measured, device), () => PrintTable(context, measured, device));
    }

    // The report file first (atomically), then JSON or the table on stdout, then where the report went.
    private static int Output(CliContext context, string? reportPath, bool json, Action<Stream> writeReport, Action writeJson, Action printTable)
    {
        if (reportPath is not null)
        {
            OutputFile.Write(context, reportPath, writeReport);
        }

        (json ? writeJson : printTable)();
        if (reportPath is not null)
        {
            context.Info($"{reportPath}: wrote the HTML report.");
        }

        return ExitCodes.Success;
    }

    private sealed class Reporter(CliContext.Progress progress) : IProgress<int>
    {
        public void Report(int value) => progress.Report(value);
    }

    private static void WriteJson(CliContext context, ProcessMeasurementReport measured, string device)
    {
        using var output = new JsonOutput(context.Out);
        measured.WriteJson(output.Writer, device);
    }

    private static void PrintTable(CliContext context, ProcessMeasurementReport measured, string device)
    {
        var output = context.Out;
        static string Ms(Spread s) => string.Create(CultureInfo.InvariantCulture, $"{s.Median,8:0.000}ms [{s.Min:0.000}–{s.Max:0.000}]");
        static string X(Spread s) => string.Create(CultureInfo.InvariantCulture, $"{s.Median,6:0.00}x [{s.Min:0.00}–{s.Max:0.00}]");
        output.WriteLine($"{"#",5}  {"cold first [min–max]",-30}  {"warm first [min–max]",-30}  {"steady p50 [min–max]",-30}  {"cold/p50",-20}  {"warm/p50",-20}  shape");
        foreach (var shape in measured.Shapes)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{shape.FirstRecordIndex,5}  {Ms(shape.ColdFirstMs),-30}  {Ms(shape.WarmFirstMs),-30}  {Ms(shape.SteadyP50Ms),-30}  {X(shape.ColdFirstToSteady),-20}  {X(shape.WarmFirstToSteady),-20}  {shape.Shape}"));
        }

        var s = measured.Summary;
        context.Info(string.Create(CultureInfo.InvariantCulture,
            $"{measured.Source}: {s.Shapes} shape(s) from {s.Records} record(s) on {device}, medians over {s.Processes} fresh process(es) per condition; " +
            $"first request / steady p50: without warmup {s.MedianColdFirstRatio:0.00}x (max {s.MaxColdFirstRatio:0.00}x), after warmup {s.MedianWarmFirstRatio:0.00}x " +
            $"(max {s.MaxWarmFirstRatio:0.00}x); time to ready: without warmup {s.Cold.TotalMs.Median:0.0} ms (session {s.Cold.SessionMs.Median:0.0} ms), " +
            $"with warmup {s.Warm.TotalMs.Median:0.0} ms (session {s.Warm.SessionMs.Median:0.0} ms + replay {s.Warm.ReplayMs.Median:0.0} ms; " +
            $"the steady runs it absorbs: {s.AbsorbedSteadyMs.Median:0.0} ms)."));
    }

    private static int Run(CliContext context, string modelPath, string requestsPath, Settings settings, bool json, string? reportPath)
    {
        var (repeat, iterations, device) = (settings.Repeat, settings.Iterations, settings.Device);
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
                    Replay = settings.Replay,
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

        return Output(context, reportPath, json, stream => HtmlReport.Write(stream, measured, modelPath, OnnxSessions.Name(used)),
            () => WriteJson(context, measured, used), () => PrintTable(context, measured, used));
    }

    private static void WriteJson(CliContext context, WarmupMeasurementReport measured, ExecutionProvider device)
    {
        using var output = new JsonOutput(context.Out);
        measured.WriteJson(output.Writer, OnnxSessions.Name(device));
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
