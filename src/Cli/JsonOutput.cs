using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Warmup.Cli;

/// <summary>
/// A <see cref="Utf8JsonWriter"/> whose output goes to a <see cref="TextWriter"/> in chunks, so that a long listing never
/// sits whole in memory.
/// </summary>
internal sealed class JsonOutput : IDisposable
{
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        // Names and strings stay readable (é, <, >); JSON is never embedded in HTML here.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly TextWriter _target;
    private readonly MemoryStream _buffer = new();

    public JsonOutput(TextWriter target)
    {
        _target = target;
        Writer = new Utf8JsonWriter(_buffer, WriterOptions);
    }

    public Utf8JsonWriter Writer { get; }

    /// <summary>Moves what has been written so far to the target.</summary>
    public void FlushChunk()
    {
        Writer.Flush();
        if (_buffer.Length > 0)
        {
            _target.Write(Encoding.UTF8.GetString(_buffer.GetBuffer(), 0, (int)_buffer.Length));
            _buffer.SetLength(0);
        }
    }

    public void Dispose()
    {
        FlushChunk();
        _target.WriteLine();
        _target.Flush();
        Writer.Dispose();
        _buffer.Dispose();
    }
}
