using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Warmup.Build.Tasks;

/// <summary>
/// Runs the out-of-process build host (<c>dotnet exec Warmup.Build.Host.dll …</c>) for both tasks: the work that needs
/// Warmup.Format (model signatures, layout, samples) happens there, so the task assembly references nothing but MSBuild
/// and loads in .NET Framework MSBuild (net472) as in the .NET SDK's (net8.0). Each protocol line of the host's stdout is
/// handed to the caller; its stderr tail is kept for the error message.
/// </summary>
internal sealed class HostProcess
{
    private readonly object _gate = new();
    private Process? _process;

    /// <summary>Whether <see cref="Cancel"/> was called (the build was canceled).</summary>
    public bool Canceled { get; private set; }

    /// <summary>The last lines the host wrote to stderr.</summary>
    public string ErrorTail { get; private set; } = string.Empty;

    /// <summary>Whether the host ran over its time and was stopped.</summary>
    public bool TimedOut { get; private set; }

    /// <summary>Stops the host (ICancelableTask.Cancel).</summary>
    public void Cancel()
    {
        lock (_gate)
        {
            Canceled = true;
            Kill(_process);
        }
    }

    /// <summary>The start info: <paramref name="dotnet"/> (<c>dotnet</c> on PATH when empty) with <paramref name="arguments"/>.</summary>
    public static ProcessStartInfo CreateStartInfo(string? dotnet, IReadOnlyList<string> arguments, string? workingDirectory)
    {
        var startInfo = new ProcessStartInfo(string.IsNullOrEmpty(dotnet) ? "dotnet" : dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        if (workingDirectory is not null && Directory.Exists(workingDirectory))
        {
            startInfo.WorkingDirectory = workingDirectory;
        }

#if NET
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
#else
        startInfo.Arguments = string.Join(" ", arguments.Select(QuoteForCommandLine));
#endif

        // The host's console encoding must not depend on the machine's locale.
        startInfo.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        return startInfo;
    }

    /// <summary>
    /// Runs the host to its end (or its timeout, or cancellation), passing each stdout line to <paramref name="onLine"/>.
    /// </summary>
    /// <returns>The exit code; null when the host did not start (logged as WARMUPB014), was canceled or timed out.</returns>
    public int? Run(TaskLoggingHelper log, ProcessStartInfo startInfo, int timeoutSeconds, string errorFile, Action<string> onLine)
    {
        log.LogMessage(MessageImportance.Low, "Warmup: {0} {1}", startInfo.FileName, Describe(startInfo));
        var stderr = new Queue<string>();
        var stopwatch = Stopwatch.StartNew();
        Process process;
        try
        {
            lock (_gate)
            {
                if (Canceled)
                {
                    return null;
                }

                process = Process.Start(startInfo) ?? throw new InvalidOperationException("Process.Start returned no process.");
                _process = process;
            }
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            log.LogError(null, BuildCodes.HostFailed, null, errorFile, 0, 0, 0, 0,
                "cannot start the Warmup build host ({0} {1}): {2}. Check that the .NET SDK's dotnet is available.", startInfo.FileName, Describe(startInfo), ex.Message);
            return null;
        }

        using (process)
        using (new Timer(_ => { TimedOut = true; Kill(process); }, null, TimeSpan.FromSeconds(Math.Max(1, timeoutSeconds)), Timeout.InfiniteTimeSpan))
        {
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (stderr)
                {
                    stderr.Enqueue(e.Data);
                    if (stderr.Count > 40)
                    {
                        stderr.Dequeue();
                    }
                }
            };
            process.BeginErrorReadLine();
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                onLine(line);
            }

            process.WaitForExit();
            lock (_gate)
            {
                _process = null;
            }

            lock (stderr)
            {
                ErrorTail = string.Join(Environment.NewLine, stderr.ToArray());
            }

            if (ErrorTail.Length > 0)
            {
                log.LogMessage(MessageImportance.Low, "Warmup host stderr:{0}{1}", Environment.NewLine, ErrorTail);
            }

            if (Canceled)
            {
                return null;
            }

            if (TimedOut)
            {
                log.LogError(null, BuildCodes.HostTimeout, null, errorFile, 0, 0, 0, 0,
                    "the Warmup build host did not finish within {0} s and was stopped; a warmup sample may hang or be very slow. Fix the sample, or raise WarmupHostTimeout (seconds).",
                    timeoutSeconds);
                return null;
            }

            log.LogMessage(MessageImportance.Low, "Warmup: the build host finished in {0} ms with exit code {1}.", stopwatch.ElapsedMilliseconds, process.ExitCode);
            return process.ExitCode;
        }
    }

    /// <summary>
    /// Logs a diagnostic line (<c>info</c>, <c>warning</c>, <c>error</c>) at its location, else at <paramref name="file"/>.
    /// </summary>
    public static void LogDiagnostic(TaskLoggingHelper log, HostEvent hostEvent, string file, int line = 0)
    {
        switch (hostEvent.Kind)
        {
            case HostEventKind.Error:
                log.LogError(null, hostEvent.Code, null, file, line, 0, 0, 0, "{0}", hostEvent.Message);
                break;
            case HostEventKind.Warning:
                log.LogWarning(null, hostEvent.Code, null, file, line, 0, 0, 0, "{0}", hostEvent.Message);
                break;
            default:
                log.LogMessage(MessageImportance.Normal, "Warmup: {0}", hostEvent.Message);
                break;
        }
    }

    private static string Describe(ProcessStartInfo startInfo) =>
#if NET
        string.Join(" ", startInfo.ArgumentList.Select(QuoteForCommandLine));
#else
        startInfo.Arguments;
#endif

    /// <summary>
    /// One argument as the C runtime's command-line parser (CommandLineToArgvW, and .NET's own on every OS) reads it back:
    /// quoted when it holds whitespace or quotes, with backslashes doubled before a quote.
    /// </summary>
    internal static string QuoteForCommandLine(string argument)
    {
        if (argument.Length > 0 && argument.IndexOfAny([' ', '\t', '\n', '\v', '"']) < 0)
        {
            return argument;
        }

        var quoted = new StringBuilder("\"");
        var backslashes = 0;
        foreach (var c in argument)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }

            quoted.Append('\\', c == '"' ? (backslashes * 2) + 1 : backslashes).Append(c);
            backslashes = 0;
        }

        return quoted.Append('\\', backslashes * 2).Append('"').ToString();
    }

    private static void Kill(Process? process)
    {
        try
        {
            if (process is { HasExited: false })
            {
#if NET
                process.Kill(entireProcessTree: true);
#else
                process.Kill();
#endif
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }
}
