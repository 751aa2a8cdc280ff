using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.OnnxRuntime;

namespace Warmup.Runtime.Measurement;

/// <summary>The two conditions a fresh-process measurement compares.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MeasurementCondition>))]
public enum MeasurementCondition
{
    /// <summary>The session(s) created, nothing replayed: what a host without warmup serves first.</summary>
    Cold,

    /// <summary>The session(s) created, then the warmup file replayed through <see cref="OnnxWarmup"/>.</summary>
    Warm,
}

/// <summary>One request shape as one fresh process measured it.</summary>
public sealed record ChildShapeResult
{
    /// <summary>The signature(s) the shape's records run.</summary>
    public required string Signature { get; init; }

    /// <summary>The inputs, e.g. <c>x:DT_FLOAT[1,3,32,32]</c>.</summary>
    public required string Shape { get; init; }

    /// <summary>The first record with this shape.</summary>
    public long FirstRecordIndex { get; init; }

    /// <summary>How many records have this shape.</summary>
    public int Records { get; init; }

    /// <summary>The shape's first request after the process became ready (ms); shapes run in file order.</summary>
    public double FirstMs { get; init; }

    /// <summary>The median of the shape's steady runs in the same process, after every shape's first request (ms).</summary>
    public double SteadyP50Ms { get; init; }
}

/// <summary>What one fresh process measured: its time to ready and each shape's first request and steady p50.</summary>
public sealed record ChildMeasurement
{
    /// <summary>The protocol a child answers with; a parent refuses any other.</summary>
    public const string CurrentProtocol = "warmup-measure-child/1";

    /// <summary>Always <see cref="CurrentProtocol"/>.</summary>
    public string Protocol { get; init; } = CurrentProtocol;

    /// <summary>Cold or warm.</summary>
    public MeasurementCondition Condition { get; init; }

    /// <summary>The device the session ran on, when the host reports it (e.g. <c>cpu</c>).</summary>
    public string? Device { get; init; }

    /// <summary>Creating the session(s), wall time (ms).</summary>
    public double SessionMs { get; init; }

    /// <summary>Replaying the warmup file, wall time (ms); 0 in the cold condition.</summary>
    public double ReplayMs { get; init; }

    /// <summary>Iterations per record of the replay.</summary>
    public int Iterations { get; init; }

    /// <summary>Steady runs per shape.</summary>
    public int SteadyRuns { get; init; }

    /// <summary>One entry per distinct request shape, in file order.</summary>
    public IReadOnlyList<ChildShapeResult> Shapes { get; init; } = [];

    /// <summary>The answer as one JSON line (what a child prints on stdout).</summary>
    public string ToJsonLine() => JsonSerializer.Serialize(this, ProcessMeasurementJsonContext.Default.ChildMeasurement);

    /// <summary>Reads a child's answer; null when <paramref name="line"/> is not one.</summary>
    public static ChildMeasurement? TryParse(string line)
    {
        try
        {
            var parsed = JsonSerializer.Deserialize(line, ProcessMeasurementJsonContext.Default.ChildMeasurement);
            return parsed is { Protocol: CurrentProtocol } && parsed.Shapes.All(s => s is not null) ? parsed : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The median and the range of one figure over processes.</summary>
/// <param name="Median">The median over processes.</param>
/// <param name="Min">The smallest.</param>
/// <param name="Max">The largest.</param>
public readonly record struct Spread(double Median, double Min, double Max)
{
    /// <summary>The spread of <paramref name="values"/> (all zero when empty).</summary>
    public static Spread Of(IEnumerable<double> values)
    {
        var all = values.ToArray();
        return all.Length == 0 ? default : new Spread(WarmupMeasurement.Median(all), all.Min(), all.Max());
    }
}

/// <summary>One request shape over every fresh process: medians and min–max.</summary>
public sealed record ProcessShapeMeasurement
{
    /// <summary>The signature(s) the shape's records run.</summary>
    public required string Signature { get; init; }

    /// <summary>The inputs, e.g. <c>x:DT_FLOAT[1,3,32,32]</c>.</summary>
    public required string Shape { get; init; }

    /// <summary>The first record with this shape.</summary>
    public long FirstRecordIndex { get; init; }

    /// <summary>How many records have this shape.</summary>
    public int Records { get; init; }

    /// <summary>The first request in a fresh process without warmup (ms).</summary>
    public Spread ColdFirstMs { get; init; }

    /// <summary>The first request in a fresh process after the replay (ms).</summary>
    public Spread WarmFirstMs { get; init; }

    /// <summary>The steady p50 over every process of both conditions (ms).</summary>
    public Spread SteadyP50Ms { get; init; }

    /// <summary>Cold first / the same process's steady p50.</summary>
    public Spread ColdFirstToSteady { get; init; }

    /// <summary>Warm first / the same process's steady p50.</summary>
    public Spread WarmFirstToSteady { get; init; }
}

/// <summary>How long a fresh process took to be ready to serve, over processes (ms).</summary>
public sealed record TimeToReady
{
    /// <summary>Creating the session(s).</summary>
    public Spread SessionMs { get; init; }

    /// <summary>Replaying the warmup file (0 without warmup).</summary>
    public Spread ReplayMs { get; init; }

    /// <summary>Session creation plus replay, per process.</summary>
    public Spread TotalMs { get; init; }
}

/// <summary>Totals of a fresh-process measurement.</summary>
public sealed record ProcessMeasurementSummary
{
    /// <summary>Fresh processes per condition.</summary>
    public int Processes { get; init; }

    /// <summary>Distinct request shapes.</summary>
    public int Shapes { get; init; }

    /// <summary>Records that run something.</summary>
    public int Records { get; init; }

    /// <summary>Iterations per record of the replay.</summary>
    public int Iterations { get; init; }

    /// <summary>Steady runs per shape.</summary>
    public int SteadyRuns { get; init; }

    /// <summary>The device the children report (null when they do not).</summary>
    public string? Device { get; init; }

    /// <summary>Time to ready without warmup.</summary>
    public required TimeToReady Cold { get; init; }

    /// <summary>Time to ready with warmup.</summary>
    public required TimeToReady Warm { get; init; }

    /// <summary>
    /// The steady run time the replay stands in for: per warm process, each record's iterations at its shape's steady
    /// p50 in that process, summed (ms; spread over warm processes).
    /// </summary>
    public Spread AbsorbedSteadyMs { get; init; }

    /// <summary>Largest per-shape median of warm first / steady.</summary>
    public double MaxWarmFirstRatio { get; init; }

    /// <summary>Median over shapes of the per-shape medians of warm first / steady.</summary>
    public double MedianWarmFirstRatio { get; init; }

    /// <summary>Largest per-shape median of cold first / steady.</summary>
    public double MaxColdFirstRatio { get; init; }

    /// <summary>Median over shapes of the per-shape medians of cold first / steady.</summary>
    public double MedianColdFirstRatio { get; init; }
}

/// <summary>The result of <see cref="ProcessMeasurement.MeasureAsync"/>.</summary>
public sealed record ProcessMeasurementReport
{
    /// <summary>The warmup file measured (as the caller names it).</summary>
    public required string Source { get; init; }

    /// <summary>One row per distinct request shape, in file order.</summary>
    public required IReadOnlyList<ProcessShapeMeasurement> Shapes { get; init; }

    /// <summary>Totals, time to ready and ratios.</summary>
    public required ProcessMeasurementSummary Summary { get; init; }

    /// <summary>Every child's answer: the cold processes, then the warm ones, each in start order.</summary>
    public required IReadOnlyList<ChildMeasurement> Children { get; init; }

    /// <summary>
    /// Writes the report as <c>warmup measure --json</c> prints it (docs/cli.md):
    /// <c>{"file","device","records":[{"index","shape","signature","records","coldFirstMs",…,"spread":{…}}],"summary":{"scope":"process",…}}</c>,
    /// every figure a median over processes.
    /// </summary>
    /// <param name="writer">Where the object goes.</param>
    /// <param name="device">The value of <c>"device"</c>; null writes <see cref="ProcessMeasurementSummary.Device"/>.</param>
    public void WriteJson(Utf8JsonWriter writer, string? device = null) => MeasurementJson.Write(writer, this, device);

    /// <summary>The report as indented JSON, as <see cref="WriteJson"/> writes it.</summary>
    /// <param name="device">The value of <c>"device"</c>; null writes <see cref="ProcessMeasurementSummary.Device"/>.</param>
    public string ToJson(string? device = null) => MeasurementJson.ToJson(w => WriteJson(w, device));
}

/// <summary>How <see cref="ProcessMeasurement.MeasureAsync"/> runs its children.</summary>
public sealed class ProcessMeasurementOptions
{
    /// <summary>Fresh processes per condition; default 5.</summary>
    public int Processes { get; init; } = 5;

    /// <summary>How long one child may take before it is killed and the measurement fails; default 5 minutes.</summary>
    public TimeSpan ChildTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Called after each child with the number of children done (of 2 × <see cref="Processes"/>).</summary>
    public IProgress<int>? Progress { get; init; }
}

/// <summary>A measurement child crashed, hung, failed or answered with something other than its one JSON line.</summary>
public sealed class MeasurementProcessException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MeasurementProcessException(MeasurementCondition condition, int processIndex, int processes, string problem, int? exitCode = null, string? childError = null)
        : base($"the {condition.ToString().ToLowerInvariant()} condition's process {processIndex + 1} of {processes} {problem}")
    {
        Condition = condition;
        ProcessIndex = processIndex;
        ExitCode = exitCode;
        ChildError = childError;
    }

    /// <summary>Creates the exception.</summary>
    public MeasurementProcessException() : base("a measurement process failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public MeasurementProcessException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MeasurementProcessException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The child's condition.</summary>
    public MeasurementCondition Condition { get; }

    /// <summary>The child's zero-based index within its condition.</summary>
    public int ProcessIndex { get; }

    /// <summary>The child's exit code when it exited (null when it was killed after the timeout or never started).</summary>
    public int? ExitCode { get; }

    /// <summary>The child's own one-line error (its stderr's last <c>error: </c> line, without the prefix), when it printed one.</summary>
    public string? ChildError { get; }
}

/// <summary>
/// Measures warmup the way a restarted host meets cold start: every figure comes from a fresh process. Each child
/// creates the session(s), in the warm condition replays the file, then times the first request of each record shape
/// in file order and the steady p50 of each shape (<see cref="MeasureThisProcessAsync"/>), and answers with one JSON
/// line; the parent (<see cref="MeasureAsync"/>) starts K children per condition, alternating cold and warm so that
/// machine noise falls on both alike, and reports medians and ranges over processes. Ratios are taken within each
/// process, then their median.
/// </summary>
public static class ProcessMeasurement
{
    /// <summary>
    /// The child's side: measures in this process, which must not have run the model before. The file is read and each
    /// shape's inputs prepared after the process is ready (untimed), so reading it first cannot warm the replay's path.
    /// </summary>
    /// <param name="createSession">Creates the session (serving the <c>serving_default</c> signature).</param>
    /// <param name="warmupFilePath">The warmup file.</param>
    /// <param name="condition">Cold: no replay; warm: the file replayed with <paramref name="options"/>' replay options.</param>
    /// <param name="options">Steady runs, clock and replay options (<see cref="WarmupMeasurementOptions.Repeats"/> is not used).</param>
    /// <param name="cancellationToken">Stops between runs.</param>
    /// <exception cref="WarmupReplayException">A record cannot be read, mapped or run.</exception>
    public static async Task<ChildMeasurement> MeasureThisProcessAsync(Func<InferenceSession> createSession, string warmupFilePath,
        MeasurementCondition condition, WarmupMeasurementOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(createSession);
        ArgumentException.ThrowIfNullOrEmpty(warmupFilePath);
        options ??= new WarmupMeasurementOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SteadyRuns, 1, nameof(options.SteadyRuns));
        var replay = options.Replay;
        WarmupReplaySteps.Validate(replay);
        var cpu = options.Clock == WarmupClock.ThreadCpu;
        if (cpu && !ThreadCpuClock.IsSupported)
        {
            throw new PlatformNotSupportedException("The ThreadCpu clock needs clock_gettime(CLOCK_THREAD_CPUTIME_ID) (Linux or macOS). Use the Wall clock.");
        }

        var started = Stopwatch.GetTimestamp();
        InferenceSession session;
        using (var prefetching = new CancellationTokenSource())
        {
            // As a hosted model starts: with a warmup file, its first records are decoded while the session is created.
            var prefetch = condition == MeasurementCondition.Warm ? WarmupReplaySteps.StartPrefetch(warmupFilePath, replay, prefetching.Token) : Task.FromResult(0);
            try
            {
                session = createSession();
            }
            finally
            {
                await prefetching.CancelAsync().ConfigureAwait(false);
                await prefetch.ConfigureAwait(false);
            }
        }

        using var owned = session;
        var sessionMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var replayMs = 0.0;
        if (condition == MeasurementCondition.Warm)
        {
            started = Stopwatch.GetTimestamp();
            await OnnxWarmup.RunAsync(session, warmupFilePath, replay, cancellationToken).ConfigureAwait(false);
            replayMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        // Ready. Group the records by shape and keep the first record of each shape prepared.
        var sessions = WarmupMeasurement.Sessions(session);
        var shapes = new List<(string Key, ChildShapeResult Row, WarmupPreparedRecord Prepared)>();
        try
        {
            foreach (var (index, offset, _, log) in WarmupReplaySteps.ReadRecords(warmupFilePath, replay))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var prepared = WarmupReplaySteps.Prepare(log, sessions, replay, warmupFilePath, index, offset);
                var at = prepared.Runs.Count == 0 ? -2 : shapes.FindIndex(s => s.Key == prepared.ShapeKey);
                if (at != -1)
                {
                    prepared.Dispose();
                    if (at >= 0)
                    {
                        shapes[at] = shapes[at] with { Row = shapes[at].Row with { Records = shapes[at].Row.Records + 1 } };
                    }

                    continue;
                }

                shapes.Add((prepared.ShapeKey, new ChildShapeResult
                {
                    Signature = string.Join(" | ", prepared.Signatures.Distinct()),
                    Shape = string.Join(" ", prepared.Inputs.Select(s => s.ToString())),
                    FirstRecordIndex = index,
                    Records = 1,
                }, prepared));
            }

            using var runOptions = new RunOptions();
            // The timing harness itself is compiled on an empty record first, so no first request pays for its JIT.
            using (var nothing = WarmupPreparedRecord.Empty)
            {
                WarmupMeasurement.Time(nothing, runOptions, replay.UseIoBinding, cpu);
            }

            var first = shapes.Select(s => WarmupMeasurement.Time(s.Prepared, runOptions, replay.UseIoBinding, cpu)).ToArray();
            var steady = new double[options.SteadyRuns];
            var rows = new ChildShapeResult[shapes.Count];
            for (var i = 0; i < shapes.Count; i++)
            {
                for (var k = 0; k < steady.Length; k++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    steady[k] = WarmupMeasurement.Time(shapes[i].Prepared, runOptions, replay.UseIoBinding, cpu);
                }

                rows[i] = shapes[i].Row with { FirstMs = first[i], SteadyP50Ms = WarmupMeasurement.Median(steady) };
            }

            return new ChildMeasurement
            {
                Condition = condition,
                SessionMs = sessionMs,
                ReplayMs = replayMs,
                Iterations = replay.Iterations,
                SteadyRuns = options.SteadyRuns,
                Shapes = rows,
            };
        }
        finally
        {
            foreach (var shape in shapes)
            {
                shape.Prepared.Dispose();
            }
        }
    }

    /// <summary>
    /// The parent's side: starts <see cref="ProcessMeasurementOptions.Processes"/> children per condition, one at a time
    /// (cold 1, warm 1, cold 2, …), reads each one's JSON line (the last non-empty line of its stdout) and aggregates.
    /// </summary>
    /// <param name="startChild">The command line of a child for a condition and a zero-based process index; the child
    /// measures with <see cref="MeasureThisProcessAsync"/> and prints <see cref="ChildMeasurement.ToJsonLine"/>.</param>
    /// <param name="source">The warmup file's name for the report.</param>
    /// <param name="options">Processes per condition, timeout, progress.</param>
    /// <param name="cancellationToken">Kills the running child and stops.</param>
    /// <exception cref="MeasurementProcessException">A child could not start, crashed, failed, hung past the timeout,
    /// printed no valid answer, or measured other shapes than the first child.</exception>
    public static async Task<ProcessMeasurementReport> MeasureAsync(Func<MeasurementCondition, int, ProcessStartInfo> startChild, string source,
        ProcessMeasurementOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(startChild);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new ProcessMeasurementOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Processes, 1, nameof(options.Processes));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ChildTimeout, TimeSpan.Zero, nameof(options.ChildTimeout));

        var cold = new List<ChildMeasurement>();
        var warm = new List<ChildMeasurement>();
        for (var index = 0; index < options.Processes; index++)
        {
            foreach (var condition in new[] { MeasurementCondition.Cold, MeasurementCondition.Warm })
            {
                var answer = await RunChildAsync(startChild(condition, index), condition, index, options, cancellationToken).ConfigureAwait(false);
                var reference = cold.Count > 0 ? cold[0] : warm.Count > 0 ? warm[0] : answer;
                if (!reference.Shapes.Select(s => s.Shape + "|" + s.Signature).SequenceEqual(answer.Shapes.Select(s => s.Shape + "|" + s.Signature)))
                {
                    throw new MeasurementProcessException(condition, index, options.Processes,
                        $"measured other request shapes ({answer.Shapes.Count}) than the first process ({reference.Shapes.Count}); the model or the file changed during the measurement.");
                }

                if (answer.Condition != condition)
                {
                    throw new MeasurementProcessException(condition, index, options.Processes, $"answered for the {answer.Condition.ToString().ToLowerInvariant()} condition.");
                }

                (condition == MeasurementCondition.Cold ? cold : warm).Add(answer);
                options.Progress?.Report(cold.Count + warm.Count);
            }
        }

        return Aggregate(source, cold, warm);
    }

    /// <summary>
    /// A command line that starts <paramref name="application"/> again with <paramref name="arguments"/>: its apphost when
    /// this process is it, the executable itself under Native AOT or single-file (no .dll), otherwise the <c>dotnet</c> host
    /// running its .dll (as under a test host or <c>dotnet app.dll</c>).
    /// </summary>
    /// <param name="application">The application's main assembly (e.g. <c>typeof(Program).Assembly</c>).</param>
    /// <param name="arguments">The child's arguments.</param>
    [UnconditionalSuppressMessage("SingleFile", "IL3000:Avoid accessing Assembly file path when publishing as a single file",
        Justification = "An empty Location (Native AOT, single-file) is handled: the process's executable is the application.")]
    public static ProcessStartInfo StartInfoFor(Assembly application, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(arguments);
        var dll = application.Location;
        var process = Environment.ProcessPath;
        if (dll.Length == 0 && process is not null)
        {
            var native = new ProcessStartInfo(process);
            foreach (var argument in arguments)
            {
                native.ArgumentList.Add(argument);
            }

            return native;
        }

        // Names like "Warmup.Bench.Runtime" have dots, so compare whole file names rather than strip "extensions".
        var processFile = Path.GetFileName(process);
        var executable = OperatingSystem.IsWindows() ? ".exe" : "";
        ProcessStartInfo start;
        if (process is not null && string.Equals(Path.GetDirectoryName(process), Path.GetDirectoryName(dll), StringComparison.Ordinal) &&
            string.Equals(processFile, Path.GetFileNameWithoutExtension(dll) + executable, StringComparison.Ordinal))
        {
            start = new ProcessStartInfo(process);
        }
        else
        {
            var host = string.Equals(processFile, "dotnet" + executable, StringComparison.OrdinalIgnoreCase) ? process!
                : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } fromSdk ? fromSdk : "dotnet";
            start = new ProcessStartInfo(host);
            start.ArgumentList.Add(dll);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static async Task<ChildMeasurement> RunChildAsync(ProcessStartInfo start, MeasurementCondition condition, int index,
        ProcessMeasurementOptions options, CancellationToken cancellationToken)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        var processes = options.Processes;
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new MeasurementProcessException(condition, index, processes, $"could not start ({start.FileName}: {ex.Message}).");
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ChildTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                cancellationToken.ThrowIfCancellationRequested();
                throw new MeasurementProcessException(condition, index, processes,
                    $"did not answer within {options.ChildTimeout.TotalSeconds:0.#} s and was killed (raise the timeout for a slow model).");
            }

            var output = await stdout.ConfigureAwait(false);
            var errors = await stderr.ConfigureAwait(false);
            var errorLines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (process.ExitCode != 0)
            {
                var childError = errorLines.LastOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal))?["error: ".Length..];
                var detail = childError ?? errorLines.LastOrDefault() ?? "no message";
                // On Unix a process ended by a signal (an abort, a segfault, a kill) exits with 128 + the signal's number.
                var signalled = !OperatingSystem.IsWindows() && process.ExitCode > 128 && process.ExitCode < 160;
                var how = signalled ? $"crashed (exit code {process.ExitCode}, signal {process.ExitCode - 128})"
                    : childError is null ? $"crashed (exit code {process.ExitCode})" : $"failed (exit code {process.ExitCode})";
                throw new MeasurementProcessException(condition, index, processes, $"{how}: {Shorten(detail)}", process.ExitCode, childError);
            }

            var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
            return (line is null ? null : ChildMeasurement.TryParse(line))
                ?? throw new MeasurementProcessException(condition, index, processes,
                    line is null ? "exited without printing its JSON line." : $"printed no valid JSON line ({ChildMeasurement.CurrentProtocol}); its last line was: {Shorten(line)}");
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // It exited on its own meanwhile.
        }
    }

    private static string Shorten(string text)
    {
        var clean = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        return clean.Length > 200 ? clean[..199] + "…" : clean;
    }

    private static ProcessMeasurementReport Aggregate(string source, List<ChildMeasurement> cold, List<ChildMeasurement> warm)
    {
        var template = cold[0].Shapes;
        var rows = new ProcessShapeMeasurement[template.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            var at = i;
            rows[i] = new ProcessShapeMeasurement
            {
                Signature = template[i].Signature,
                Shape = template[i].Shape,
                FirstRecordIndex = template[i].FirstRecordIndex,
                Records = template[i].Records,
                ColdFirstMs = Spread.Of(cold.Select(c => c.Shapes[at].FirstMs)),
                WarmFirstMs = Spread.Of(warm.Select(c => c.Shapes[at].FirstMs)),
                SteadyP50Ms = Spread.Of(cold.Concat(warm).Select(c => c.Shapes[at].SteadyP50Ms)),
                ColdFirstToSteady = Spread.Of(cold.Select(c => ShapeMeasurement.Ratio(c.Shapes[at].FirstMs, c.Shapes[at].SteadyP50Ms))),
                WarmFirstToSteady = Spread.Of(warm.Select(c => ShapeMeasurement.Ratio(c.Shapes[at].FirstMs, c.Shapes[at].SteadyP50Ms))),
            };
        }

        static TimeToReady Ready(List<ChildMeasurement> children) => new()
        {
            SessionMs = Spread.Of(children.Select(c => c.SessionMs)),
            ReplayMs = Spread.Of(children.Select(c => c.ReplayMs)),
            TotalMs = Spread.Of(children.Select(c => c.SessionMs + c.ReplayMs)),
        };

        var warmRatios = rows.Select(r => r.WarmFirstToSteady.Median).ToArray();
        var coldRatios = rows.Select(r => r.ColdFirstToSteady.Median).ToArray();
        return new ProcessMeasurementReport
        {
            Source = source,
            Shapes = rows,
            Children = [.. cold, .. warm],
            Summary = new ProcessMeasurementSummary
            {
                Processes = cold.Count,
                Shapes = rows.Length,
                Records = rows.Sum(r => r.Records),
                Iterations = warm[0].Iterations,
                SteadyRuns = warm[0].SteadyRuns,
                Device = warm[0].Device ?? cold[0].Device,
                Cold = Ready(cold),
                Warm = Ready(warm),
                AbsorbedSteadyMs = Spread.Of(warm.Select(c => c.Shapes.Sum(s => s.Records * c.Iterations * s.SteadyP50Ms))),
                MaxWarmFirstRatio = warmRatios.DefaultIfEmpty().Max(),
                MedianWarmFirstRatio = WarmupMeasurement.Median(warmRatios),
                MaxColdFirstRatio = coldRatios.DefaultIfEmpty().Max(),
                MedianColdFirstRatio = WarmupMeasurement.Median(coldRatios),
            },
        };
    }
}

/// <summary>System.Text.Json source-generated metadata for the child protocol (one compact line).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChildMeasurement))]
internal sealed partial class ProcessMeasurementJsonContext : JsonSerializerContext;
