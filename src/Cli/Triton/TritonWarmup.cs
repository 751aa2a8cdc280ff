using System.Buffers.Binary;
using System.Globalization;
using Google.Protobuf;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Cli.Triton;

/// <summary>
/// Converts the <c>model_warmup</c> section of a Triton <c>config.pbtxt</c> into TF Serving warmup records: one predict record
/// per sample, repeated <c>count</c> times; shapes are <c>[batch_size] + dims</c> when the model batches
/// (<c>max_batch_size</c> &gt; 0), else <c>dims</c>; data from <c>zero_data</c>, <c>random_data</c> (seeded) or an
/// <c>input_data_file</c> in the model's <c>warmup/</c> folder (one batch item, repeated for the batch; strings as 4-byte
/// little-endian length + bytes).
/// </summary>
internal static class TritonWarmup
{
    /// <summary>Triton's <c>config.pbtxt</c> file name.</summary>
    public const string ConfigFileName = "config.pbtxt";

    /// <summary>
    /// Triton's data type names and the TF dtypes they convert to (the export reads it backwards), from the one dtype
    /// table, in Triton's order.
    /// </summary>
    internal static readonly Dictionary<string, DataType> DataTypes = DTypeTable.Rows
        .Where(r => r.TritonName is not null)
        .OrderBy(r => r.TritonNumber)
        .ToDictionary(r => r.TritonName!, r => (DataType)r.Number, StringComparer.Ordinal);

    /// <summary>The config file for a path that is either the file or the model directory holding it.</summary>
    public static string ResolveConfig(string path)
    {
        if (Directory.Exists(path))
        {
            var candidate = Path.Combine(path, ConfigFileName);
            return File.Exists(candidate) ? candidate : throw CliException.Usage($"{path}: is a directory without {ConfigFileName}. Pass the Triton model directory or its config.pbtxt.");
        }

        return InputFiles.RequireFile(path, "the Triton config.pbtxt");
    }

    /// <summary>Largest config.pbtxt read: far beyond any real config, and bounds the parse.</summary>
    private const long MaxConfigBytes = 16L << 20;

    /// <summary>
    /// A config.pbtxt's text: a regular file only (never a FIFO or device), at most 16 MiB, strict UTF-8.
    /// Shared by the import and the export (which merges into the file).
    /// </summary>
    internal static string ReadConfigText(string configPath)
    {
        try
        {
            return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(SafeFile.ReadAllBytes(configPath, "the Triton config.pbtxt", MaxConfigBytes));
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw CliException.Invalid($"{configPath}: is not UTF-8 text. A Triton config.pbtxt is protobuf text format.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, ex.Message, ex);
        }
    }

    /// <summary>
    /// The records of the config's <c>model_warmup</c> samples. Bounds are checked before anything is expanded: the total
    /// record count (<paramref name="maxRecords"/>), each record's expanded size (<see cref="TensorLimits.MaxRecordBytes"/>),
    /// and every <c>input_data_file</c> must be a regular file whose real path lies inside the model's real <c>warmup/</c>.
    /// </summary>
    public static List<PredictionLog> ToLogs(string configPath, string? modelName, int seed, int maxRecords = TfServing.MaxRecords, TensorLimits? limits = null)
    {
        limits ??= TensorLimits.Default;
        var text = ReadConfigText(configPath);
        TextMessage config;
        try
        {
            config = TextFormatParser.Parse(text, configPath);
        }
        catch (TextFormatException ex)
        {
            throw CliException.Invalid(ex.Message);
        }

        var reader = new ConfigReader(configPath);
        var name = modelName ?? (config.One("name") is { } n ? reader.String(n, "name") : Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(configPath))) ?? "model");
        var maxBatchSize = config.One("max_batch_size") is { } m ? reader.Integer(m, "max_batch_size") : 0;
        var warmupDirectory = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, "warmup");
        var random = new SplitMix64((ulong)seed);
        var samples = config.All("model_warmup").ToList();
        if (samples.Count == 0)
        {
            throw CliException.Invalid($"{configPath}: has no model_warmup section, so there is nothing to convert. Add model_warmup samples or use warmup create.");
        }

        // Every sample's count, checked before anything is expanded.
        long total = 0;
        foreach (var sampleValue in samples)
        {
            var countValue = reader.Message(sampleValue, "model_warmup").One("count");
            var repeat = countValue is null ? 0 : reader.Integer(countValue, "count");
            if (repeat < 0)
            {
                throw reader.Error(countValue!, "count must be 0 or more.");
            }

            total += Math.Max(1, Math.Min(repeat, int.MaxValue));
            if (total > maxRecords)
            {
                throw reader.Error(countValue ?? sampleValue,
                    $"the model_warmup samples expand to more than {maxRecords} records (count × samples); TF Serving fails the load above {TfServing.MaxRecords}. " +
                    "Lower count, or pass --max-records to allow more.");
            }
        }

        var logs = new List<PredictionLog>();
        foreach (var sampleValue in samples)
        {
            var sample = reader.Message(sampleValue, "model_warmup");
            var sampleName = sample.One("name") is { } sn ? reader.String(sn, "name") : $"sample {logs.Count}";
            var batchValue = sample.One("batch_size");
            var batchSize = batchValue is null ? 0 : reader.Integer(batchValue, "batch_size");
            if (maxBatchSize > 0 && (batchSize < 1 || batchSize > maxBatchSize))
            {
                throw reader.Error(batchValue ?? sampleValue, $"model_warmup \"{sampleName}\": batch_size must be between 1 and max_batch_size ({maxBatchSize}).");
            }

            if (maxBatchSize == 0 && batchSize > 1)
            {
                throw reader.Error(batchValue!, $"model_warmup \"{sampleName}\": the model does not batch (max_batch_size 0), so batch_size must be 0 or 1.");
            }

            var count = sample.One("count") is { } c ? reader.Integer(c, "count") : 0; // bounded above
            var request = new PredictRequest { ModelSpec = new ModelSpec { Name = name, SignatureName = TfServing.DefaultSignatureName } };
            var shapes = new Dictionary<string, (TextValue At, TextMessage Input, TensorProto Shape)>(StringComparer.Ordinal);
            foreach (var inputValue in sample.All("inputs"))
            {
                var entry = reader.Message(inputValue, "inputs");
                var key = entry.One("key") is { } k ? reader.String(k, "key") : throw reader.Error(inputValue, "inputs entry has no key (the input name).");
                var input = entry.One("value") is { } v ? reader.Message(v, "value") : throw reader.Error(inputValue, $"input \"{key}\" has no value.");
                if (!shapes.TryAdd(key, (inputValue, input, ShapeOnly(reader, input, inputValue, key, sampleName, maxBatchSize > 0 ? batchSize : null))))
                {
                    throw reader.Error(inputValue, $"model_warmup \"{sampleName}\": input \"{key}\" is given twice.");
                }
            }

            if (shapes.Count == 0)
            {
                throw reader.Error(sampleValue, $"model_warmup \"{sampleName}\" has no inputs.");
            }

            // The budget, from shapes alone, before any value is made.
            var planned = new PredictRequest();
            foreach (var (key, (_, _, tensor)) in shapes)
            {
                planned.Inputs.Add(key, tensor);
            }

            try
            {
                RecordBudget.Check(new PredictionLog { PredictLog = new PredictLog { Request = planned } }, limits);
            }
            catch (WarmupFormatException ex)
            {
                throw reader.Error(sampleValue, $"model_warmup \"{sampleName}\": {ex.Problem}");
            }

            foreach (var (key, (inputValue, input, _)) in shapes)
            {
                try
                {
                    request.Inputs.Add(key, Tensor(reader, input, inputValue, key, sampleName, maxBatchSize > 0 ? batchSize : null, warmupDirectory, random, limits));
                }
                catch (WarmupFormatException ex)
                {
                    throw reader.Error(inputValue, ex.Problem);
                }
            }

            var log = new PredictionLog { PredictLog = new PredictLog { Request = request } };
            for (var i = 0; i < Math.Max(count, 1); i++)
            {
                logs.Add(log);
            }
        }

        return logs;
    }

    // The input's dtype and shape as an empty tensor, for the budget check.
    private static TensorProto ShapeOnly(ConfigReader reader, TextMessage input, TextValue at, string key, string sample, long? batchSize)
    {
        var (dataType, shape) = TypeAndShape(reader, input, at, $"model_warmup \"{sample}\" input \"{key}\"", batchSize);
        return new TensorProto { Dtype = dataType, TensorShape = TensorShapes.ToProto(shape) };
    }

    private static (DataType DataType, long[] Shape) TypeAndShape(ConfigReader reader, TextMessage input, TextValue at, string what, long? batchSize)
    {
        var typeName = input.One("data_type") is { } t ? t.Scalar ?? "" : throw reader.Error(at, $"{what} has no data_type.");
        if (!DataTypes.TryGetValue(typeName, out var dataType))
        {
            throw reader.Error(input.One("data_type")!, $"{what}: data_type {typeName} is not one Warmup converts ({string.Join(", ", DataTypes.Keys)}).");
        }

        var dims = input.All("dims").Select(d => reader.Integer(d, "dims")).ToList();
        if (dims.Any(d => d < 0))
        {
            throw reader.Error(at, $"{what}: dims must be concrete (no -1) in a warmup sample.");
        }

        var item = dims.ToArray();
        return (dataType, batchSize is { } batch ? [batch, .. item] : item);
    }

    private static TensorProto Tensor(ConfigReader reader, TextMessage input, TextValue at, string key, string sample, long? batchSize,
        string warmupDirectory, SplitMix64 random, TensorLimits limits)
    {
        var what = $"model_warmup \"{sample}\" input \"{key}\"";
        var (dataType, shape) = TypeAndShape(reader, input, at, what, batchSize);
        var item = batchSize is null ? shape : shape[1..];
        var sources = new[] { "zero_data", "random_data", "input_data_file" }.Where(s => input.One(s) is not null).ToList();
        if (sources.Count != 1)
        {
            throw reader.Error(at, $"{what}: set exactly one of zero_data, random_data or input_data_file.");
        }

        TensorData data;
        switch (sources[0])
        {
            case "zero_data":
                data = TensorFill.Create(dataType, shape, TensorFill.Zeros, random, what);
                break;
            case "random_data":
                // Triton fills strings with zero-length elements for random data too; numbers get seeded random values.
                data = TensorFill.Create(dataType, shape, dataType == DataType.DtString ? TensorFill.Zeros : TensorFill.Random, random, what);
                break;
            default:
                var file = reader.String(input.One("input_data_file")!, "input_data_file");
                data = FromFile(reader, input.One("input_data_file")!, what, dataType, item, batchSize ?? 1, shape, warmupDirectory, file, limits);
                break;
        }

        return TensorProtoConverter.FromTensorData(data);
    }

    private static TensorData FromFile(ConfigReader reader, TextValue at, string what, DataType dataType, long[] item, long batch, long[] shape,
        string warmupDirectory, string file, TensorLimits limits)
    {
        // Real paths: a link (the file, or warmup/ itself) must not lead outside the model's own warmup/ folder.
        var path = Path.GetFullPath(Path.Combine(warmupDirectory, file));
        string real, realWarmup;
        try
        {
            realWarmup = RealPath.Resolve(warmupDirectory);
            real = RealPath.Resolve(path);
        }
        catch (IOException ex)
        {
            throw reader.Error(at, $"{what}: input_data_file \"{file}\": {ex.Message}");
        }

        var modelDirectory = RealPath.Resolve(Path.GetDirectoryName(warmupDirectory)!);
        if (realWarmup != Path.Combine(modelDirectory, "warmup"))
        {
            throw reader.Error(at, $"{what}: the model's warmup/ folder is a link to {realWarmup}; Triton reads input_data_file from the model's own warmup/ folder. Make warmup/ a real folder.");
        }

        if (!RealPath.IsInside(real, realWarmup))
        {
            throw reader.Error(at, $"{what}: input_data_file \"{file}\" resolves to {real}, outside the model's warmup/ folder. Put the file in warmup/.");
        }

        var elements = TensorShapes.ElementCount(item, what);
        var info = DTypes.Get(dataType);
        byte[] bytes;
        try
        {
            SafeFile.RequireRegular(real, "an input_data_file");
            // The per-record budget bounds one batch item's data; the size is the real file's, read from the opened file.
            bytes = SafeFile.ReadAllBytes(real, "the input_data_file", Math.Min(limits.MaxRecordBytes, limits.MaxBytes));
        }
        catch (FileNotFoundException)
        {
            throw reader.Error(at, $"{what}: input_data_file {path} not found. Triton reads it from the model's warmup/ folder.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw reader.Error(at, $"{what}: {ex.Message}");
        }

        var length = bytes.LongLength;
        if (!info.IsString && length != elements * info.ElementSize)
        {
            throw reader.Error(at, $"{what}: {path} holds {length} bytes, but dims {TensorShapes.Format(item)} of {info.Name} need {elements * info.ElementSize}.");
        }

        if (info.IsString)
        {
            var strings = ReadStrings(reader, at, what, path, bytes, elements);
            var expanded = batch * ((decimal)length + (elements * (decimal)TensorLimits.StringElementOverheadBytes));
            if (expanded > limits.MaxRecordBytes)
            {
                throw reader.Error(at, $"{what}: {path} repeated for batch {batch} expands to {RecordBudget.FormatBytes(expanded)}, above the per-record budget of {RecordBudget.FormatBytes(limits.MaxRecordBytes)}. Lower batch_size or raise --max-record-mib.");
            }

            var all = Enumerable.Repeat(strings, (int)batch).SelectMany(s => s).ToArray();
            return TensorData.CreateStrings(all, shape);
        }

        var content = new byte[bytes.Length * batch];
        for (var i = 0; i < batch; i++)
        {
            bytes.CopyTo(content, i * bytes.Length);
        }

        var proto = new TensorProto { Dtype = dataType, TensorShape = TensorShapes.ToProto(shape), TensorContent = ByteString.CopyFrom(content) };
        return TensorProtoConverter.ToTensorData(proto, what);
    }

    private static byte[][] ReadStrings(ConfigReader reader, TextValue at, string what, string path, byte[] bytes, long elements)
    {
        var strings = new List<byte[]>();
        var position = 0;
        while (position < bytes.Length)
        {
            if (bytes.Length - position < 4)
            {
                throw reader.Error(at, $"{what}: {path} ends inside a 4-byte string length at byte {position}.");
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position));
            position += 4;
            if (length > bytes.Length - position)
            {
                throw reader.Error(at, $"{what}: {path}: the string at byte {position - 4} claims {length} bytes, beyond the end of the file.");
            }

            strings.Add(bytes.AsSpan(position, (int)length).ToArray());
            position += (int)length;
        }

        if (strings.Count != elements)
        {
            throw reader.Error(at, $"{what}: {path} holds {strings.Count} string(s), but dims {TensorShapes.Format([elements])} need {elements}.");
        }

        return [.. strings];
    }

    /// <summary>Typed access to text-format values, with errors at <c>file:line:column</c>.</summary>
    private sealed class ConfigReader(string file)
    {
        public CliException Error(TextValue at, string problem) => CliException.Invalid($"{file}:{at.Line}:{at.Column}: {problem}");

        public string String(TextValue value, string field) =>
            value is { IsString: true, Scalar: { } s } ? s : throw Error(value, $"{field} must be a quoted string.");

        public long Integer(TextValue value, string field) =>
            value.Scalar is { } s && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && !value.IsString
                ? v
                : throw Error(value, $"{field} must be an integer, not {(value.Message is null ? value.Scalar : "a message")}.");

        public TextMessage Message(TextValue value, string field) =>
            value.Message ?? throw Error(value, $"{field} must be a message {{ … }}.");
    }
}
