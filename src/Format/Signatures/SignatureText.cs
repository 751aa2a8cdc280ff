// The same source compiles for netstandard2.0 (the generator), which lacks ArgumentNullException.ThrowIfNull.
#pragma warning disable CA1510
// The one reader/writer of `.warmup-signature` files (docs/contracts.md §1). Plain C# that compiles
// for netstandard2.0 with no dependency beyond the BCL. The types declare no accessibility here: the
// source generator links this file and gets them internal; Warmup.Format makes them public API in
// SignatureText.Public.cs.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Warmup.Format.Tensors;

namespace Warmup.Format.Signatures;

/// <summary>The contents of one <c>.warmup-signature</c> file: one model and its serving signatures.</summary>
sealed partial class SignatureFile
{
    /// <summary>Creates a signature file.</summary>
    /// <param name="modelName">TF Serving model name (the <c>WarmupModel</c> item's name).</param>
    /// <param name="source">The model path as given in the project (informational).</param>
    /// <param name="format"><c>onnx</c>, <c>savedmodel</c> or <c>declared</c>.</param>
    /// <param name="signatures">The serving signatures, in file order.</param>
    public SignatureFile(string modelName, string source, string format, IReadOnlyList<SignatureDefinition> signatures)
    {
        ModelName = modelName ?? throw new ArgumentNullException(nameof(modelName));
        Source = source ?? throw new ArgumentNullException(nameof(source));
        Format = format ?? throw new ArgumentNullException(nameof(format));
        Signatures = signatures ?? throw new ArgumentNullException(nameof(signatures));
    }

    /// <summary>TF Serving model name.</summary>
    public string ModelName { get; }

    /// <summary>The model path as given in the project (informational).</summary>
    public string Source { get; }

    /// <summary><c>onnx</c>, <c>savedmodel</c> or <c>declared</c>.</summary>
    public string Format { get; }

    /// <summary>The serving signatures, in file order.</summary>
    public IReadOnlyList<SignatureDefinition> Signatures { get; }
}

/// <summary>One serving signature: its key, TF method and tensors.</summary>
sealed partial class SignatureDefinition
{
    /// <summary>Creates a signature.</summary>
    /// <param name="key">Signature key, e.g. <c>serving_default</c>.</param>
    /// <param name="method"><c>predict</c>, <c>classify</c> or <c>regress</c>.</param>
    /// <param name="inputs">Inputs in model order.</param>
    /// <param name="outputs">Outputs in model order.</param>
    /// <param name="line">1-based line of the <c>signature</c> line in the file (0 when not read from a file).</param>
    public SignatureDefinition(string key, string method, IReadOnlyList<SignatureTensor> inputs, IReadOnlyList<SignatureTensor> outputs, int line = 0)
    {
        Key = key ?? throw new ArgumentNullException(nameof(key));
        Method = method ?? throw new ArgumentNullException(nameof(method));
        Inputs = inputs ?? throw new ArgumentNullException(nameof(inputs));
        Outputs = outputs ?? throw new ArgumentNullException(nameof(outputs));
        Line = line;
    }

    /// <summary>Signature key, e.g. <c>serving_default</c>.</summary>
    public string Key { get; }

    /// <summary><c>predict</c>, <c>classify</c> or <c>regress</c> (TF method <c>tensorflow/serving/&lt;method&gt;</c>).</summary>
    public string Method { get; }

    /// <summary>Inputs in model order.</summary>
    public IReadOnlyList<SignatureTensor> Inputs { get; }

    /// <summary>Outputs in model order.</summary>
    public IReadOnlyList<SignatureTensor> Outputs { get; }

    /// <summary>1-based line of the <c>signature</c> line in the file (0 when not read from a file).</summary>
    public int Line { get; }
}

/// <summary>One input or output tensor of a signature.</summary>
sealed partial class SignatureTensor
{
    /// <summary>Creates a tensor description.</summary>
    /// <param name="name">Input/output alias (the key of the request's <c>inputs</c> map).</param>
    /// <param name="dtype">TF dtype name, e.g. <c>DT_FLOAT</c>.</param>
    /// <param name="shape">The dimensions, or <see langword="null"/> for unknown rank.</param>
    /// <param name="tensorName">Graph tensor name (<c>x:0</c> in a SavedModel, the input name in ONNX).</param>
    /// <param name="line">1-based line in the file (0 when not read from a file).</param>
    public SignatureTensor(string name, string dtype, IReadOnlyList<SignatureDimension>? shape, string tensorName, int line = 0)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        DType = dtype ?? throw new ArgumentNullException(nameof(dtype));
        Shape = shape;
        TensorName = tensorName ?? throw new ArgumentNullException(nameof(tensorName));
        Line = line;
    }

    /// <summary>Input/output alias (the key of the request's <c>inputs</c> map).</summary>
    public string Name { get; }

    /// <summary>TF dtype name, e.g. <c>DT_FLOAT</c>.</summary>
    public string DType { get; }

    /// <summary>The dimensions, or <see langword="null"/> for unknown rank.</summary>
    public IReadOnlyList<SignatureDimension>? Shape { get; }

    /// <summary>Graph tensor name.</summary>
    public string TensorName { get; }

    /// <summary>1-based line in the file (0 when not read from a file).</summary>
    public int Line { get; }
}

/// <summary>One dimension: a fixed size, unknown (<c>-1</c>) or a symbolic name (ONNX <c>dim_param</c>).</summary>
readonly partial struct SignatureDimension : IEquatable<SignatureDimension>
{
    private SignatureDimension(long size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    /// <summary>A fixed dimension of <paramref name="size"/> (≥ 0).</summary>
    /// <param name="size">The size.</param>
    /// <returns>The dimension.</returns>
    public static SignatureDimension Fixed(long size)
    {
        if (size < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A fixed dimension is non-negative.");
        }

        return new SignatureDimension(size, null);
    }

    /// <summary>An unknown dimension (<c>-1</c>).</summary>
    public static SignatureDimension Unknown => new SignatureDimension(-1, null);

    /// <summary>A symbolic dimension (unknown size with a name).</summary>
    /// <param name="symbol">The name, e.g. <c>batch</c>.</param>
    /// <returns>The dimension.</returns>
    public static SignatureDimension Symbolic(string symbol)
    {
        if (string.IsNullOrEmpty(symbol))
        {
            throw new ArgumentException("A symbolic dimension needs a name.", nameof(symbol));
        }

        return new SignatureDimension(-1, symbol);
    }

    /// <summary>The size when fixed, otherwise -1.</summary>
    public long Size { get; }

    /// <summary>The symbolic name, or <see langword="null"/>.</summary>
    public string? Symbol { get; }

    /// <summary>Whether the size is known.</summary>
    public bool IsFixed => Size >= 0;

    /// <inheritdoc/>
    public bool Equals(SignatureDimension other) => Size == other.Size && string.Equals(Symbol, other.Symbol, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SignatureDimension other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => unchecked((Size.GetHashCode() * 397) ^ (Symbol == null ? 0 : StringComparer.Ordinal.GetHashCode(Symbol)));

    /// <summary>Compares two dimensions.</summary>
    /// <param name="left">A dimension.</param>
    /// <param name="right">Another dimension.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(SignatureDimension left, SignatureDimension right) => left.Equals(right);

    /// <summary>Compares two dimensions.</summary>
    /// <param name="left">A dimension.</param>
    /// <param name="right">Another dimension.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(SignatureDimension left, SignatureDimension right) => !left.Equals(right);

    /// <summary>The dimension as written in a signature file.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Symbol != null ? SignatureText.Encode(Symbol) : Size.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A problem found while reading a signature file, with its 1-based line.</summary>
sealed partial class SignatureTextError
{
    /// <summary>Creates an error.</summary>
    /// <param name="line">1-based line number (0 for the whole file).</param>
    /// <param name="message">What is wrong and what to do.</param>
    public SignatureTextError(int line, string message)
    {
        Line = line;
        Message = message;
    }

    /// <summary>1-based line number (0 for the whole file).</summary>
    public int Line { get; }

    /// <summary>What is wrong and what to do.</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Line > 0 ? "line " + Line.ToString(CultureInfo.InvariantCulture) + ": " + Message : Message;
}

/// <summary>Reads and writes the <c>.warmup-signature</c> text format (version 1).</summary>
static partial class SignatureText
{
    /// <summary>The file extension, with its dot.</summary>
    public const string FileExtension = ".warmup-signature";

    /// <summary>The first line of every version-1 file.</summary>
    public const string Header = "warmup-signature 1";

    /// <summary>Parses a signature file. Never throws for bad input: problems come back as <paramref name="error"/>.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="file">The parsed file, when the text is valid.</param>
    /// <param name="error">The first problem, with its line, when the text is invalid.</param>
    /// <returns>Whether the text is a valid signature file.</returns>
    public static bool TryParse(string text, out SignatureFile? file, out SignatureTextError? error)
    {
        file = null;
        error = null;
        if (text == null)
        {
            error = new SignatureTextError(0, "The signature file is empty.");
            return false;
        }

        string[] lines = text.Split('\n');
        string? model = null;
        string? source = null;
        string? format = null;
        bool sawHeader = false;
        var signatures = new List<SignatureDefinition>();
        var seenKeys = new HashSet<string>(StringComparer.Ordinal);
        string? key = null;
        string? method = null;
        int signatureLine = 0;
        List<SignatureTensor>? inputs = null;
        List<SignatureTensor>? outputs = null;

        for (int i = 0; i < lines.Length; i++)
        {
            int lineNumber = i + 1;
            string line = lines[i];
            if (line.Length > 0 && line[line.Length - 1] == '\r')
            {
                line = line.Substring(0, line.Length - 1);
            }

            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            string[] fields = line.Split(' ');
            if (!sawHeader)
            {
                if (line != Header)
                {
                    error = new SignatureTextError(lineNumber, "Expected the header '" + Header + "' as the first line; regenerate the file with this version of Warmup.");
                    return false;
                }

                sawHeader = true;
                continue;
            }

            foreach (string field in fields)
            {
                if (field.Length == 0)
                {
                    error = new SignatureTextError(lineNumber, "Fields are separated by exactly one space, with no leading or trailing spaces.");
                    return false;
                }
            }

            switch (fields[0])
            {
                case "model":
                case "source":
                case "format":
                    if (fields.Length != 2)
                    {
                        error = new SignatureTextError(lineNumber, "'" + fields[0] + "' takes exactly one value.");
                        return false;
                    }

                    if (signatures.Count > 0 || key != null)
                    {
                        error = new SignatureTextError(lineNumber, "'" + fields[0] + "' must come before the first 'signature' line.");
                        return false;
                    }

                    if (!TryDecode(fields[1], out string value))
                    {
                        error = new SignatureTextError(lineNumber, "Invalid percent-encoding in '" + fields[1] + "'.");
                        return false;
                    }

                    if (fields[0] == "model")
                    {
                        if (model != null)
                        {
                            error = new SignatureTextError(lineNumber, "Duplicate 'model' line.");
                            return false;
                        }

                        model = value;
                    }
                    else if (fields[0] == "source")
                    {
                        source = value;
                    }
                    else
                    {
                        if (value != "onnx" && value != "savedmodel" && value != "declared")
                        {
                            error = new SignatureTextError(lineNumber, "Unknown format '" + value + "': expected onnx, savedmodel or declared.");
                            return false;
                        }

                        format = value;
                    }

                    break;

                case "signature":
                    if (fields.Length != 3)
                    {
                        error = new SignatureTextError(lineNumber, "Expected 'signature <key> <method>'.");
                        return false;
                    }

                    if (model == null)
                    {
                        error = new SignatureTextError(lineNumber, "The 'model' line must come before the first 'signature' line.");
                        return false;
                    }

                    if (key != null)
                    {
                        signatures.Add(new SignatureDefinition(key, method!, inputs!, outputs!, signatureLine));
                    }

                    if (!TryDecode(fields[1], out key))
                    {
                        error = new SignatureTextError(lineNumber, "Invalid percent-encoding in '" + fields[1] + "'.");
                        return false;
                    }

                    if (!seenKeys.Add(key))
                    {
                        error = new SignatureTextError(lineNumber, "Duplicate signature '" + key + "'.");
                        return false;
                    }

                    method = fields[2];
                    if (method != "predict" && method != "classify" && method != "regress")
                    {
                        error = new SignatureTextError(lineNumber, "Unknown method '" + method + "': expected predict, classify or regress.");
                        return false;
                    }

                    signatureLine = lineNumber;
                    inputs = new List<SignatureTensor>();
                    outputs = new List<SignatureTensor>();
                    break;

                case "input":
                case "output":
                    if (key == null)
                    {
                        error = new SignatureTextError(lineNumber, "'" + fields[0] + "' must follow a 'signature' line.");
                        return false;
                    }

                    if (!TryParseTensor(fields, lineNumber, out SignatureTensor? tensor, out error))
                    {
                        return false;
                    }

                    List<SignatureTensor> target = fields[0] == "input" ? inputs! : outputs!;
                    foreach (SignatureTensor existing in target)
                    {
                        if (existing.Name == tensor!.Name)
                        {
                            error = new SignatureTextError(lineNumber, "Duplicate " + fields[0] + " '" + tensor.Name + "' in signature '" + key + "'.");
                            return false;
                        }
                    }

                    target.Add(tensor!);
                    break;

                default:
                    error = new SignatureTextError(lineNumber, "Unknown line kind '" + fields[0] + "': expected model, source, format, signature, input or output.");
                    return false;
            }
        }

        if (!sawHeader)
        {
            error = new SignatureTextError(0, "The signature file is empty: expected the header '" + Header + "'.");
            return false;
        }

        if (model == null)
        {
            error = new SignatureTextError(0, "The file has no 'model' line.");
            return false;
        }

        if (key != null)
        {
            signatures.Add(new SignatureDefinition(key, method!, inputs!, outputs!, signatureLine));
        }

        file = new SignatureFile(model, source ?? string.Empty, format ?? "declared", signatures);
        return true;
    }

    /// <summary>Writes a signature file: deterministic text with <c>\n</c> line endings.</summary>
    /// <param name="file">The file to write.</param>
    /// <returns>The text.</returns>
    public static string Write(SignatureFile file)
    {
        if (file == null)
        {
            throw new ArgumentNullException(nameof(file));
        }

        var builder = new StringBuilder();
        builder.Append(Header).Append('\n');
        builder.Append("model ").Append(Encode(file.ModelName)).Append('\n');
        if (file.Source.Length > 0)
        {
            builder.Append("source ").Append(Encode(file.Source)).Append('\n');
        }

        builder.Append("format ").Append(file.Format).Append('\n');
        foreach (SignatureDefinition signature in file.Signatures)
        {
            builder.Append("signature ").Append(Encode(signature.Key)).Append(' ').Append(signature.Method).Append('\n');
            foreach (SignatureTensor input in signature.Inputs)
            {
                AppendTensor(builder, "input", input);
            }

            foreach (SignatureTensor output in signature.Outputs)
            {
                AppendTensor(builder, "output", output);
            }
        }

        return builder.ToString();
    }

    /// <summary>Percent-encodes a name: every UTF-8 byte outside <c>[A-Za-z0-9_.:/-]</c> becomes <c>%XX</c>.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The encoded name.</returns>
    public static string Encode(string name)
    {
        if (name == null)
        {
            throw new ArgumentNullException(nameof(name));
        }

        var builder = new StringBuilder(name.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(name))
        {
            char c = (char)b;
            bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
            if (safe)
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Decodes a percent-encoded name.</summary>
    /// <param name="encoded">The encoded text.</param>
    /// <param name="name">The decoded name.</param>
    /// <returns>Whether the encoding was valid (every <c>%</c> followed by two hex digits, valid UTF-8).</returns>
    public static bool TryDecode(string encoded, out string name)
    {
        name = string.Empty;
        if (encoded == null)
        {
            return false;
        }

        if (encoded.IndexOf('%') < 0)
        {
            name = encoded;
            return true;
        }

        var bytes = new List<byte>(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            char c = encoded[i];
            if (c == '%')
            {
                if (i + 2 >= encoded.Length || !IsHex(encoded[i + 1]) || !IsHex(encoded[i + 2]))
                {
                    return false;
                }

                bytes.Add((byte)((HexValue(encoded[i + 1]) << 4) | HexValue(encoded[i + 2])));
                i += 2;
            }
            else if (c > 0x7F)
            {
                return false;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        try
        {
            name = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool TryParseTensor(string[] fields, int lineNumber, out SignatureTensor? tensor, out SignatureTextError? error)
    {
        tensor = null;
        error = null;
        if (fields.Length != 5)
        {
            error = new SignatureTextError(lineNumber, "Expected '" + fields[0] + " <name> <dtype> <shape> <tensor-name>'.");
            return false;
        }

        if (!TryDecode(fields[1], out string name) || !TryDecode(fields[4], out string tensorName))
        {
            error = new SignatureTextError(lineNumber, "Invalid percent-encoding in a name.");
            return false;
        }

        string dtype = fields[2];
        if (!dtype.StartsWith("DT_", StringComparison.Ordinal) || dtype.Length == 3)
        {
            error = new SignatureTextError(lineNumber, "Invalid dtype '" + dtype + "': expected a TensorFlow name such as DT_FLOAT.");
            return false;
        }

        IReadOnlyList<SignatureDimension>? shape = null;
        string shapeText = fields[3];
        if (shapeText != "*")
        {
            if (shapeText.Length < 2 || shapeText[0] != '[' || shapeText[shapeText.Length - 1] != ']')
            {
                error = new SignatureTextError(lineNumber, "Invalid shape '" + shapeText + "': expected '*' or '[d0,d1,…]'.");
                return false;
            }

            var dims = new List<SignatureDimension>();
            string inner = shapeText.Substring(1, shapeText.Length - 2);
            if (inner.Length > 0)
            {
                foreach (string dimText in inner.Split(','))
                {
                    if (!TryParseDimension(dimText, out SignatureDimension dim))
                    {
                        error = new SignatureTextError(lineNumber, "Invalid dimension '" + dimText + "' in shape '" + shapeText + "': expected a non-negative integer, -1 or a name.");
                        return false;
                    }

                    dims.Add(dim);
                }
            }

            shape = dims;
        }

        tensor = new SignatureTensor(name, dtype, shape, tensorName, lineNumber);
        return true;
    }

    private static bool TryParseDimension(string text, out SignatureDimension dimension)
    {
        dimension = default;
        if (text.Length == 0)
        {
            return false;
        }

        if (text == "-1")
        {
            dimension = SignatureDimension.Unknown;
            return true;
        }

        if (text[0] >= '0' && text[0] <= '9')
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long size))
            {
                return false;
            }

            dimension = SignatureDimension.Fixed(size);
            return true;
        }

        if (text[0] == '-' || !TryDecode(text, out string symbol) || symbol.Length == 0)
        {
            return false;
        }

        dimension = SignatureDimension.Symbolic(symbol);
        return true;
    }

    private static void AppendTensor(StringBuilder builder, string kind, SignatureTensor tensor)
    {
        builder.Append(kind).Append(' ').Append(Encode(tensor.Name)).Append(' ').Append(tensor.DType).Append(' ')
            .Append(ShapeText.Format(tensor.Shape)).Append(' ').Append(Encode(tensor.TensorName)).Append('\n');
    }

    private static bool IsHex(char c) => (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c >= 'a' ? c - 'a' + 10 : c - 'A' + 10);
}
