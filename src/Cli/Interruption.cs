using System.Runtime.InteropServices;
using Warmup.Format;

namespace Warmup.Cli;

/// <summary>
/// SIGINT and SIGTERM: the command is cancelled (writers stop between writes and remove their temp files, replays stop
/// after the run in flight), one line is printed, and the process exits with 130 (SIGINT) or 143 (SIGTERM). A command that
/// does not stop within <see cref="Grace"/> is ended the same way after its temp files are removed.
/// </summary>
internal static class Interruption
{
    public const string Message = "error: interrupted; partial output files were removed.";

    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);
    private static int _exitCode;
    private static int _reported;

    /// <summary>The exit code to return for the signal received (130 unless SIGTERM).</summary>
    public static int ExitCode => _exitCode == 0 ? ExitCodes.Interrupted : _exitCode;

    /// <summary>Prints <see cref="Message"/> once, whoever gets there first (the command or the grace timer).</summary>
    public static void Report(CliContext context)
    {
        if (Interlocked.Exchange(ref _reported, 1) == 0)
        {
            context.Error.WriteLine(Message);
            context.Error.Flush();
        }
    }

    public static IDisposable Register(CliContext context)
    {
        void Handle(PosixSignalContext signal)
        {
            signal.Cancel = true;
            Interlocked.CompareExchange(ref _exitCode, signal.Signal == PosixSignal.SIGTERM ? 143 : ExitCodes.Interrupted, 0);
            try
            {
                context.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The command has already finished.
                return;
            }

            _ = Task.Delay(Grace).ContinueWith(_ =>
            {
                SafeFile.DeleteTempFiles();
                Report(context);
                Environment.Exit(ExitCode);
            }, TaskScheduler.Default);
        }

        var registrations = new List<IDisposable>();
        try
        {
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle));
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle));
        }
        catch (PlatformNotSupportedException)
        {
            // No POSIX signals here (e.g. some sandboxes): the default termination applies.
        }

        return new Registrations(registrations);
    }

    private sealed class Registrations(List<IDisposable> items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items)
            {
                item.Dispose();
            }
        }
    }
}
