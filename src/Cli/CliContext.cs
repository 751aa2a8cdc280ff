namespace Warmup.Cli;

/// <summary>Where a command writes: data on stdout, human messages on stderr, progress only on a terminal.</summary>
internal sealed class CliContext(TextWriter stdout, TextWriter stderr, bool interactive)
{
    public TextWriter Out { get; } = stdout;

    public TextWriter Error { get; } = stderr;

    /// <summary>True when both streams are a terminal (not redirected): only then is progress shown.</summary>
    public bool Interactive { get; } = interactive;

    public void Info(string message) => Error.WriteLine(message);

    public void Warning(string message) => Error.WriteLine("warning: " + message);

    /// <summary>A progress line on stderr, overwritten in place; a no-op unless interactive and not producing JSON.</summary>
    public Progress StartProgress(string what, int? total, bool json) => new(Interactive && !json ? Error : null, what, total);

    internal sealed class Progress(TextWriter? writer, string what, int? total) : IDisposable
    {
        private long _lastTicks;
        private bool _shown;

        public void Report(long done)
        {
            if (writer is null)
            {
                return;
            }

            var now = Environment.TickCount64;
            if (_shown && now - _lastTicks < 100)
            {
                return;
            }

            _lastTicks = now;
            _shown = true;
            writer.Write(total is { } t ? $"\r{what} {done}/{t}   " : $"\r{what} {done}   ");
            writer.Flush();
        }

        /// <summary>Shows the message at once (for operations that report no steps).</summary>
        public Progress Show()
        {
            if (writer is not null)
            {
                _shown = true;
                writer.Write("\r" + what);
                writer.Flush();
            }

            return this;
        }

        public void Dispose()
        {
            if (writer is not null && _shown)
            {
                // Clear the progress line so that the next message starts on a clean line.
                writer.Write("\r" + new string(' ', what.Length + 24) + "\r");
                writer.Flush();
            }
        }
    }
}
