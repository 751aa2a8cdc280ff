using System.Globalization;
using System.Text;

namespace Warmup.Cli.Triton;

/// <summary>A field value in protobuf text format: a scalar token or a nested message.</summary>
internal sealed record TextValue(string? Scalar, bool IsString, TextMessage? Message, int Line, int Column);

/// <summary>A message in protobuf text format: its fields in file order (repeated fields appear once per value).</summary>
internal sealed class TextMessage
{
    public List<(string Name, TextValue Value)> Fields { get; } = [];

    public IEnumerable<TextValue> All(string name) => Fields.Where(f => f.Name == name).Select(f => f.Value);

    public TextValue? One(string name) => Fields.LastOrDefault(f => f.Name == name).Value;
}

/// <summary>A syntax or type problem in a text-format file, at a 1-based line and column.</summary>
internal sealed class TextFormatException(string file, int line, int column, string problem)
    : Exception($"{file}:{line}:{column}: {problem}");

/// <summary>
/// A reader for the protobuf text format subset used by Triton's <c>config.pbtxt</c>: fields <c>name: value</c>,
/// messages <c>name { … }</c> or <c>name: { … }</c>, lists <c>name: [a, b]</c> / <c>name [{…}, {…}]</c>, strings in single or
/// double quotes with C escapes, numbers, identifiers (enums, true/false), <c>#</c> comments and optional <c>,</c>/<c>;</c>
/// separators. Schema-free: the caller interprets fields.
/// </summary>
internal sealed class TextFormatParser
{
    private const int MaxDepth = 64;
    private readonly string _text;
    private readonly string _file;
    private int _pos;
    private int _line = 1;
    private int _lineStart;

    private TextFormatParser(string text, string file)
    {
        _text = text;
        _file = file;
    }

    public static TextMessage Parse(string text, string file)
    {
        var parser = new TextFormatParser(text, file);
        var message = parser.ParseFields(depth: 0, closing: null);
        return message;
    }

    private TextMessage ParseFields(int depth, char? closing)
    {
        if (depth > MaxDepth)
        {
            throw Error("messages nest too deeply.");
        }

        var message = new TextMessage();
        while (true)
        {
            SkipSpace();
            if (_pos >= _text.Length)
            {
                if (closing is not null)
                {
                    throw Error($"unexpected end of file: expected '{closing}'.");
                }

                return message;
            }

            var c = _text[_pos];
            if (closing is not null && c == closing)
            {
                _pos++;
                return message;
            }

            if (c is ',' or ';')
            {
                _pos++;
                continue;
            }

            var (line, column) = (_line, Column);
            var name = ReadIdentifier() ?? throw Error($"expected a field name, found '{c}'.");
            SkipSpace();
            var colon = Peek() == ':';
            if (colon)
            {
                _pos++;
                SkipSpace();
            }

            switch (Peek())
            {
                case '{' or '<':
                    var close = _text[_pos++] == '{' ? '}' : '>';
                    message.Fields.Add((name, new TextValue(null, false, ParseFields(depth + 1, close), line, column)));
                    break;
                case '[':
                    _pos++;
                    ParseList(name, message, depth);
                    break;
                default:
                    if (!colon)
                    {
                        throw Error($"expected ':' or '{{' after field \"{name}\".");
                    }

                    message.Fields.Add((name, ParseScalar()));
                    break;
            }
        }
    }

    private void ParseList(string name, TextMessage message, int depth)
    {
        while (true)
        {
            SkipSpace();
            switch (Peek())
            {
                case ']':
                    _pos++;
                    return;
                case ',':
                    _pos++;
                    continue;
                case '{' or '<':
                    var (line, column) = (_line, Column);
                    var close = _text[_pos++] == '{' ? '}' : '>';
                    message.Fields.Add((name, new TextValue(null, false, ParseFields(depth + 1, close), line, column)));
                    break;
                case null:
                    throw Error($"unexpected end of file in the list of \"{name}\": expected ']'.");
                default:
                    message.Fields.Add((name, ParseScalar()));
                    break;
            }
        }
    }

    private TextValue ParseScalar()
    {
        var (line, column) = (_line, Column);
        var c = Peek() ?? throw Error("unexpected end of file: expected a value.");
        if (c is '"' or '\'')
        {
            // Adjacent string literals concatenate, as in C.
            var text = new StringBuilder();
            while (Peek() is '"' or '\'')
            {
                text.Append(ReadString());
                SkipSpace();
            }

            return new TextValue(text.ToString(), true, null, line, column);
        }

        var start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '_' or '-' or '+' or '.'))
        {
            _pos++;
        }

        if (_pos == start)
        {
            throw Error($"expected a value, found '{c}'.");
        }

        return new TextValue(_text[start.._pos], false, null, line, column);
    }

    private string ReadString()
    {
        var quote = _text[_pos++];
        var bytes = new List<byte>();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
            {
                throw Error("unterminated string.");
            }

            var c = _text[_pos++];
            if (c == quote)
            {
                return Encoding.UTF8.GetString(bytes.ToArray());
            }

            if (c != '\\')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                continue;
            }

            if (_pos >= _text.Length)
            {
                throw Error("unterminated string.");
            }

            var e = _text[_pos++];
            switch (e)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case '\\' or '\'' or '"' or '?': bytes.Add((byte)e); break;
                case 'x':
                    var hex = ReadWhile(char.IsAsciiHexDigit, 2);
                    bytes.Add(byte.Parse(hex.Length > 0 ? hex : throw Error("\\x needs hex digits."), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    break;
                case >= '0' and <= '7':
                    _pos--;
                    bytes.Add((byte)Convert.ToInt32(ReadWhile(ch => ch is >= '0' and <= '7', 3), 8));
                    break;
                default:
                    throw Error($"unknown escape '\\{e}' in a string.");
            }
        }
    }

    private string ReadWhile(Func<char, bool> accept, int max)
    {
        var start = _pos;
        while (_pos < _text.Length && _pos - start < max && accept(_text[_pos]))
        {
            _pos++;
        }

        return _text[start.._pos];
    }

    private string? ReadIdentifier()
    {
        var start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_' || (_pos > start && _text[_pos] == '.')))
        {
            _pos++;
        }

        return _pos == start || char.IsAsciiDigit(_text[start]) ? null : _text[start.._pos];
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c == '\n')
            {
                _pos++;
                _line++;
                _lineStart = _pos;
            }
            else if (char.IsWhiteSpace(c))
            {
                _pos++;
            }
            else if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private char? Peek() => _pos < _text.Length ? _text[_pos] : null;

    private int Column => _pos - _lineStart + 1;

    private TextFormatException Error(string problem) => new(_file, _line, Column, problem);
}
