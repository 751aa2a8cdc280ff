using System.Text;

namespace Warmup.Cli;

/// <summary>Where a command writes: data on stdout, human messages on stderr, progress only on a terminal.</summary>
internal sealed class CliContext(TextWriter stdout, TextWriter stderr, bool interactive, Func<Stream>? openStandardOutput = null) : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();

    public TextWriter Out { get; } = stdout;

    /// <summary>Messages: control characters in them are escaped (<see cref="EscapingWriter"/>).</summary>
    public TextWriter Error { get; } = new EscapingWriter(stderr);

    /// <summary>Cancelled when the process is interrupted (SIGINT, SIGTERM).</summary>
    public CancellationToken Cancellation => _cancel.Token;

    public void Cancel() => _cancel.Cancel();

    public void Dispose() => _cancel.Dispose();

    /// <summary>
    /// Standard output as bytes, for <c>--out -</c>: the process's stdout, or the stream under an in-process caller's
    /// <see cref="StreamWriter"/>; other writers get text through <see cref="Out"/>'s encoding.
    /// </summary>
    public Stream OpenStandardOutput()
    {
        Out.Flush();
        return openStandardOutput?.Invoke() ?? (Out is StreamWriter { BaseStream: { } stream } ? stream : new TextWriterStream(Out));
    }

    /// <summary>True when both streams are a terminal (not redirected): only then is progress shown.</summary>
    public bool Interactive { get; } = interactive;

    public void Info(string message) => Error.WriteLine(message);

    public void Warning(string message) => Error.WriteLine("warning: " + message);

    /// <summary>A progress line on stderr, overwritten in place; a no-op unless interactive and not producing JSON.</summary>
    public Progress StartProgress(string what, int? total, bool json) =>
        new(Interactive && !json ? stderr : null, EscapingWriter.EscapeText(what), total);

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

/// <summary>Bytes written to a <see cref="TextWriter"/> as UTF-8 text (in-process callers that capture output in a StringWriter).</summary>
internal sealed class TextWriterStream(TextWriter writer) : Stream
{
    private readonly Decoder _decoder = new System.Text.UTF8Encoding(false).GetDecoder();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => writer.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var chars = new char[_decoder.GetCharCount(buffer, flush: false)];
        var n = _decoder.GetChars(buffer, chars, flush: false);
        writer.Write(chars, 0, n);
    }
}
