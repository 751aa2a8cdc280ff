using System.Globalization;
using System.Text;

namespace Warmup.Cli;

/// <summary>
/// A writer that escapes control characters (C0, DEL, C1; tab kept) in everything written through it, so that a name taken
/// from a model or file cannot forge output lines or terminal colours: ESC becomes <c>\x1B</c>, a newline <c>\n</c>.
/// Line ends written by <see cref="TextWriter.WriteLine()"/> pass through.
/// </summary>
internal sealed class EscapingWriter(TextWriter inner) : TextWriter
{
    public TextWriter Inner { get; } = inner;

    public override Encoding Encoding => Inner.Encoding;

    public override IFormatProvider FormatProvider => CultureInfo.InvariantCulture;

    public override void Write(char value)
    {
        if (NeedsEscape(value))
        {
            Inner.Write(Escape(value));
        }
        else
        {
            Inner.Write(value);
        }
    }

    public override void Write(string? value) => Inner.Write(EscapeText(value));

    public override void WriteLine(string? value) => Inner.WriteLine(EscapeText(value));

    public override void WriteLine() => Inner.WriteLine();

    public override void Flush() => Inner.Flush();

    /// <summary>The text with every control character escaped.</summary>
    public static string EscapeText(string? value)
    {
        if (value is null || !value.Any(NeedsEscape))
        {
            return value ?? "";
        }

        var text = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            if (NeedsEscape(c))
            {
                text.Append(Escape(c));
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    private static bool NeedsEscape(char c) => c != '\t' && (char.IsControl(c) || c is '\u202A' or '\u202B' or '\u202D' or '\u202E' or '\u2066' or '\u2067' or '\u2068');

    private static string Escape(char c) => c switch
    {
        '\n' => "\\n",
        '\r' => "\\r",
        _ => c <= 0xFF ? $"\\x{(int)c:X2}" : $"\\u{(int)c:X4}",
    };
}
