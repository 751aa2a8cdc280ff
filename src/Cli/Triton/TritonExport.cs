using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Cli.Triton;

/// <summary>
/// Writes TF Serving warmup records as a Triton <c>model_warmup</c> section: one sample per record, each input an
/// <c>input_data_file</c> in Triton's raw format (numbers little-endian in row-major order, each string as a 4-byte
/// little-endian length and its bytes) under <c>&lt;model dir&gt;/warmup/</c>. When the model batches
/// (<c>max_batch_size</c> &gt; 0) dimension 0 becomes <c>batch_size</c> and the file holds one batch item, which Triton
/// repeats <c>batch_size</c> times — so every row of a record must be equal, as <c>[WarmupSample(BatchSizes = …)]</c>
/// tiles them. The section replaces any <c>model_warmup</c> of an existing <c>config.pbtxt</c>, keeping the rest of the
/// file as written; without a config it is written beside, as <c>model_warmup.pbtxt</c>, to paste into one.
/// </summary>
internal static class TritonExport
{
    /// <summary>The fragment's file name when the model directory has no config.pbtxt.</summary>
    public const string FragmentFileName = "model_warmup.pbtxt";

    private const string WarmupFolder = "warmup";

    /// <summary>What was written.</summary>
    public sealed record Result(string SectionFile, bool Merged, int Samples, int DataFiles, int Replaced, long MaxBatchSize);

    public static Result Export(IEnumerable<RawRecord> records, string warmupPath, string modelDirectory, long? maxBatchSizeOption)
    {
        if (File.Exists(modelDirectory))
        {
            throw CliException.Usage($"{modelDirectory}: is a file. --to triton writes into a Triton model directory (the folder holding config.pbtxt).");
        }

        var configPath = Path.Combine(modelDirectory, TritonWarmup.ConfigFileName);
        // Read like the import reads it: a regular file only (never a FIFO or device), bounded, strict UTF-8.
        var configText = File.Exists(configPath)
            ? TritonWarmup.ReadConfigText(configPath)
            : null;
        TextMessage? config = null;
        if (configText is not null)
        {
            try
            {
                config = TextFormatParser.Parse(configText, configPath);
            }
            catch (TextFormatException ex)
            {
                throw CliException.Invalid($"{ex.Message} Fix {TritonWarmup.ConfigFileName} before merging a model_warmup section into it.");
            }
        }

        var maxBatchSize = ResolveMaxBatchSize(config, configPath, maxBatchSizeOption);
        var samples = new List<Sample>();
        foreach (var record in records)
        {
            samples.Add(ToSample(record, warmupPath, maxBatchSize));
        }

        if (samples.Count == 0)
        {
            throw CliException.Invalid($"{warmupPath}: has no records, so there is no model_warmup to write.");
        }

        // Data files: written first (each atomically), so a config never names a file that is not there.
        var warmupDirectory = Path.Combine(modelDirectory, WarmupFolder);
        RequireInsideModel(warmupDirectory, modelDirectory);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in samples.SelectMany(s => s.Inputs))
        {
            SafeFile.WriteAtomic(Path.Combine(warmupDirectory, input.FileName), stream => stream.Write(input.Data));
            written.Add(input.FileName);
        }

        var section = WriteSection(samples);
        var replaced = 0;
        string sectionFile;
        if (configText is not null)
        {
            var spans = TopLevelFieldSpans(configText, "model_warmup");
            replaced = config!.All("model_warmup").Count();
            var kept = new StringBuilder(configText.Length + section.Length);
            var position = 0;
            foreach (var (start, end) in spans)
            {
                kept.Append(configText, position, start - position);
                position = end;
            }

            kept.Append(configText, position, configText.Length - position);
            var merged = kept.ToString().TrimEnd() + "\n\n" + section;
            SafeFile.WriteAtomic(configPath, stream => stream.Write(Encoding.UTF8.GetBytes(merged)));
            RemoveUnreferenced(config, warmupDirectory, written);
            sectionFile = configPath;
        }
        else
        {
            sectionFile = Path.Combine(modelDirectory, FragmentFileName);
            var fragment = $"# Triton model_warmup for {samples.Count} record(s) of {Path.GetFileName(warmupPath)}, written for max_batch_size: {maxBatchSize}.\n" +
                $"# Paste it into this model's {TritonWarmup.ConfigFileName}; the data files are in {WarmupFolder}/.\n" + section;
            SafeFile.WriteAtomic(sectionFile, stream => stream.Write(Encoding.UTF8.GetBytes(fragment)));
        }

        return new Result(sectionFile, configText is not null, samples.Count, written.Count, replaced, maxBatchSize);
    }

    private static long ResolveMaxBatchSize(TextMessage? config, string configPath, long? option)
    {
        long? configured = null;
        if (config?.One("max_batch_size") is { } value)
        {
            configured = value.Scalar is { } s && !value.IsString && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw CliException.Invalid($"{configPath}:{value.Line}:{value.Column}: max_batch_size must be a non-negative integer.");
        }

        if (option is { } given && configured is { } existing && given != existing)
        {
            throw CliException.Usage($"--max-batch-size {given} contradicts max_batch_size: {existing} in {configPath}. Drop the option, or change the config.");
        }

        return option ?? configured ?? 0;
    }

    private static Sample ToSample(RawRecord record, string warmupPath, long maxBatchSize)
    {
        var at = $"{warmupPath}: record {record.Index} at byte {record.Offset}";
        var view = new PredictionLogView(record.Log);
        if (view.Type != WarmupLogType.Predict || !view.Requests[0].IsSet)
        {
            throw CliException.Invalid($"{at}: a {view.Name} record; Triton's model_warmup holds input tensors, so only predict records export. " +
                "Select the predict records first, or write the samples as predict requests.");
        }

        var inputs = new List<SampleInput>();
        long? batch = null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, input) in view.Requests[0].Tensors)
        {
            var proto = input!;
            var what = $"{at}: input \"{name}\"";
            TensorData tensor;
            try
            {
                tensor = TensorProtoConverter.ToTensorData(proto, what);
            }
            catch (WarmupFormatException ex)
            {
                throw CliException.Invalid(ex.Message);
            }

            var typeName = TritonWarmup.DataTypes.FirstOrDefault(t => t.Value == tensor.DataType).Key
                ?? throw CliException.Invalid($"{what}: {tensor.DType.Name} has no Triton data type ({string.Join(", ", TritonWarmup.DataTypes.Keys)}).");
            var shape = tensor.GetShape();
            var item = shape;
            var rows = 1L;
            if (maxBatchSize > 0)
            {
                if (shape.Length == 0)
                {
                    throw CliException.Invalid($"{what}: a scalar, but a batching model (max_batch_size {maxBatchSize}) takes dimension 0 as the batch. " +
                        "Export with --max-batch-size 0 for a model that does not batch.");
                }

                rows = shape[0];
                if (batch is { } other && other != rows)
                {
                    throw CliException.Invalid($"{what}: dimension 0 is {rows}, but another input's is {other}; Triton's batch_size is one number per sample.");
                }

                if (rows < 1 || rows > maxBatchSize)
                {
                    throw CliException.Invalid($"{what}: batch {rows} (dimension 0 of {TensorShapes.Format(shape)}) is outside Triton's 1..max_batch_size ({maxBatchSize}). " +
                        "Pass the model's --max-batch-size, or 0 for a model that does not batch.");
                }

                batch = rows;
                item = shape[1..];
            }

            var data = tensor.Values is byte[][] strings ? StringItem(strings, rows, what) : NumericItem(tensor, rows, what);
            inputs.Add(new SampleInput(name, typeName, item, FileName(record.Index, name, names), data));
        }

        if (inputs.Count == 0)
        {
            throw CliException.Invalid($"{at}: the request has no inputs, and a Triton warmup sample needs at least one.");
        }

        return new Sample($"warmup_record_{record.Index}", maxBatchSize > 0 ? batch!.Value : 1, inputs);
    }

    // One batch item: Triton repeats it batch_size times, so the rows must be equal to be exported exactly.
    private static byte[] NumericItem(TensorData tensor, long rows, string what)
    {
        var bytes = TensorProtoConverter.ToRawBytes(tensor);
        var rowLength = bytes.Length / (int)rows;
        for (var row = 1; row < rows; row++)
        {
            if (!bytes.AsSpan(row * rowLength, rowLength).SequenceEqual(bytes.AsSpan(0, rowLength)))
            {
                throw RowsDiffer(what, row, rows);
            }
        }

        return bytes[..rowLength];
    }

    private static byte[] StringItem(byte[][] strings, long rows, string what)
    {
        var perRow = strings.Length / (int)rows;
        for (var row = 1; row < rows; row++)
        {
            for (var i = 0; i < perRow; i++)
            {
                if (!strings[(row * perRow) + i].AsSpan().SequenceEqual(strings[i]))
                {
                    throw RowsDiffer(what, row, rows);
                }
            }
        }

        var item = strings.Take(perRow).ToList();
        var data = new byte[item.Sum(s => 4L + s.Length)];
        var position = 0;
        foreach (var s in item)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(position), (uint)s.Length);
            s.CopyTo(data, position + 4);
            position += 4 + s.Length;
        }

        return data;
    }

    private static CliException RowsDiffer(string what, long row, long rows) =>
        CliException.Invalid($"{what}: row {row} of {rows} differs from row 0, but Triton's model_warmup repeats one batch item batch_size times. " +
            "Write one sample per distinct row (BatchSizes tiles equal rows), or export with --max-batch-size 0 if the model does not batch.");

    // "0003_input_ids": the record index keeps the files in record order; characters a file name should not hold become '_'.
    private static string FileName(long index, string input, HashSet<string> taken)
    {
        var safe = new string(input.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_').ToArray()).TrimStart('.');
        var name = $"{index:D4}_{(safe.Length == 0 ? "input" : safe)}";
        var candidate = name;
        for (var n = 2; !taken.Add(candidate); n++)
        {
            candidate = $"{name}_{n}";
        }

        return candidate;
    }

    private static string WriteSection(List<Sample> samples)
    {
        var text = new StringBuilder();
        text.Append("model_warmup [\n");
        for (var i = 0; i < samples.Count; i++)
        {
            var sample = samples[i];
            text.Append("  {\n");
            text.Append(CultureInfo.InvariantCulture, $"    name: {Quote(sample.Name)}\n");
            text.Append(CultureInfo.InvariantCulture, $"    batch_size: {sample.BatchSize}\n");
            foreach (var input in sample.Inputs)
            {
                text.Append("    inputs {\n");
                text.Append(CultureInfo.InvariantCulture, $"      key: {Quote(input.Name)}\n");
                text.Append("      value {\n");
                text.Append(CultureInfo.InvariantCulture, $"        data_type: {input.DataType}\n");
                text.Append(CultureInfo.InvariantCulture, $"        dims: [ {string.Join(", ", input.Dims)} ]\n");
                text.Append(CultureInfo.InvariantCulture, $"        input_data_file: {Quote(input.FileName)}\n");
                text.Append("      }\n");
                text.Append("    }\n");
            }

            text.Append(i < samples.Count - 1 ? "  },\n" : "  }\n");
        }

        text.Append("]\n");
        return text.ToString();
    }

    // A text-format string: UTF-8 kept, quotes, backslashes and control characters escaped.
    private static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case < ' ': text.Append('\\').Append(Convert.ToString(c, 8).PadLeft(3, '0')); break;
                default: text.Append(c); break;
            }
        }

        return text.Append('"').ToString();
    }

    // A warmup/ that is a link out of the model directory would have the export write (and remove) files elsewhere.
    private static void RequireInsideModel(string warmupDirectory, string modelDirectory)
    {
        if (Directory.Exists(warmupDirectory) && !RealPath.IsInside(RealPath.Resolve(warmupDirectory), RealPath.Resolve(modelDirectory)))
        {
            throw CliException.Usage($"{warmupDirectory}: resolves outside the model directory {modelDirectory} (a symbolic link). " +
                "Remove the link, or export into a model directory whose warmup/ folder is its own.");
        }
    }

    // Data files the replaced section named that the new one does not (files named by nothing else are left alone).
    private static void RemoveUnreferenced(TextMessage config, string warmupDirectory, HashSet<string> written)
    {
        var earlier = config.All("model_warmup").Select(v => v.Message).OfType<TextMessage>()
            .SelectMany(s => s.All("inputs")).Select(v => v.Message?.One("value")?.Message?.One("input_data_file"))
            .Where(v => v is { IsString: true, Scalar: { Length: > 0 } }).Select(v => v!.Scalar!);
        foreach (var file in earlier.Distinct(StringComparer.Ordinal).Where(f => !written.Contains(f)))
        {
            var path = Path.GetFullPath(Path.Combine(warmupDirectory, file));
            if (path.StartsWith(Path.GetFullPath(warmupDirectory) + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(path))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>
    /// The character spans of every top-level <paramref name="field"/> (name through its closing bracket, and one trailing
    /// separator) in text-format <paramref name="text"/>, skipping strings and comments. The text has already parsed.
    /// </summary>
    internal static List<(int Start, int End)> TopLevelFieldSpans(string text, string field)
    {
        var spans = new List<(int, int)>();
        var depth = 0;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is '"' or '\'')
            {
                i = SkipString(text, i);
            }
            else if (c == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (c is '{' or '[' or '<')
            {
                depth++;
                i++;
            }
            else if (c is '}' or ']' or '>')
            {
                depth--;
                i++;
            }
            else if (depth == 0 && IsIdentifierStart(c) && (i == 0 || !IsIdentifierPart(text[i - 1])))
            {
                var start = i;
                while (i < text.Length && IsIdentifierPart(text[i]))
                {
                    i++;
                }

                if (string.Equals(text[start..i], field, StringComparison.Ordinal))
                {
                    var end = SkipValue(text, i);
                    spans.Add((LineStart(text, start), end));
                    i = end;
                }
            }
            else
            {
                i++;
            }
        }

        return spans;
    }

    // After the field name: optional ':' then a message, a list or a scalar; then an optional ',' or ';', a comment and the line end.
    private static int SkipValue(string text, int i)
    {
        i = SkipBlank(text, i);
        if (i < text.Length && text[i] == ':')
        {
            i = SkipBlank(text, i + 1);
        }

        if (i < text.Length && text[i] is '{' or '[' or '<')
        {
            var depth = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (c is '"' or '\'')
                {
                    i = SkipString(text, i);
                    continue;
                }

                if (c == '#')
                {
                    while (i < text.Length && text[i] != '\n')
                    {
                        i++;
                    }

                    continue;
                }

                i++;
                if (c is '{' or '[' or '<')
                {
                    depth++;
                }
                else if (c is '}' or ']' or '>' && --depth == 0)
                {
                    break;
                }
            }
        }
        else
        {
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not (',' or ';'))
            {
                i = text[i] is '"' or '\'' ? SkipString(text, i) : i + 1;
            }
        }

        var after = i;
        while (after < text.Length && text[after] is ' ' or '\t')
        {
            after++;
        }

        if (after < text.Length && text[after] is ',' or ';')
        {
            after++;
        }

        while (after < text.Length && text[after] is ' ' or '\t' or '\r')
        {
            after++;
        }

        if (after < text.Length && text[after] == '#')
        {
            while (after < text.Length && text[after] != '\n')
            {
                after++;
            }
        }

        return after < text.Length && text[after] == '\n' ? after + 1 : i;
    }

    private static int SkipString(string text, int i)
    {
        var quote = text[i++];
        while (i < text.Length && text[i] != quote && text[i] != '\n')
        {
            i += text[i] == '\\' ? 2 : 1;
        }

        return Math.Min(i + 1, text.Length);
    }

    private static int SkipBlank(string text, int i)
    {
        while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] == '#'))
        {
            if (text[i] == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else
            {
                i++;
            }
        }

        return i;
    }

    // A field that starts its line is removed with the line's indentation.
    private static int LineStart(string text, int start)
    {
        var i = start;
        while (i > 0 && text[i - 1] is ' ' or '\t')
        {
            i--;
        }

        return i == 0 || text[i - 1] == '\n' ? i : start;
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.';

    private sealed record Sample(string Name, long BatchSize, List<SampleInput> Inputs);

    private sealed record SampleInput(string Name, string DataType, long[] Dims, string FileName, byte[] Data);
}
