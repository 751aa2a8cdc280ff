using System.CommandLine;
using System.Globalization;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Signatures;
using Warmup.Format.Tensors;

namespace Warmup.Cli.Commands;

/// <summary>
/// <c>warmup create --model M --out F</c>: synthesizes predict records from the model's signature, one per batch size, with
/// every non-fixed dimension bound by <c>--dim</c> or the batch default.
/// </summary>
internal static class CreateCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "The model: an .onnx file or a SavedModel directory.", Required = true };
        var output = new Option<string>("--out") { Description = "The warmup file to write (written atomically; only a regular file is replaced), or - for standard output.", Required = true };
        var name = new Option<string>("--name") { Description = "The TF Serving model name in the records (default: the model's file or folder name)." };
        var signature = new Option<string>("--signature") { Description = "The signature to synthesize requests for (default: serving_default)." };
        var batchSizes = new Option<string>("--batch-sizes") { Description = "Comma-separated batch sizes, one record each, e.g. 1,8,32. The batch dimension is each input's first dimension when it is not fixed.", DefaultValueFactory = _ => "1" };
        var dims = new Option<string[]>("--dim") { Description = "Bind a non-fixed dimension: name=value for a symbolic dimension (ONNX dim_param), or input[axis]=value for any dimension. Repeatable.", AllowMultipleArgumentsPerToken = false };
        var fill = new Option<string>("--fill") { Description = "Tensor values: zeros, ones or random (seeded, deterministic).", DefaultValueFactory = _ => "zeros" };
        fill.AcceptOnlyFromAmong("zeros", "ones", "random");
        var seed = new Option<int>("--seed") { Description = "Seed for --fill random.", DefaultValueFactory = _ => 0 };
        var maxRecordMib = CliOptions.MaxRecordMib();
        var command = new Command("create",
            "Synthesize a warmup file from a model's signature: zeros, ones or seeded random values, per batch size.")
        {
            model, output, name, signature, batchSizes, dims, fill, seed, maxRecordMib,
        };
        command.SetAction(parse => Program.Guard(context, () => Run(context, new Request(
            parse.GetValue(model)!, parse.GetValue(output)!, CheckName(parse.GetValue(name)), parse.GetValue(signature), ParseBatchSizes(parse.GetValue(batchSizes)!),
            ParseDims(parse.GetValue(dims) ?? []), parse.GetValue(fill)!, parse.GetValue(seed)) { Limits = CliOptions.Limits(parse.GetValue(maxRecordMib)) })));
        return command;
    }

    internal sealed record Request(string Model, string Out, string? Name, string? Signature, IReadOnlyList<long> BatchSizes,
        IReadOnlyDictionary<string, long> Dims, string Fill, int Seed)
    {
        public TensorLimits Limits { get; init; } = TensorLimits.Default;
    }

    private static string? CheckName(string? name) =>
        name is null ? null
        : name.Length == 0 || name.Any(char.IsControl) || name.Contains('/')
            ? throw CliException.Usage($"--name: \"{name}\" is not a model name. Pass a non-empty name without '/' or control characters, e.g. --name my_model.")
            : name;

    private static int Run(CliContext context, Request request)
    {
        var modelName = request.Name ?? ModelInput.DefaultName(request.Model);
        var model = ModelInput.Load(request.Model, modelName, context);
        var signature = ModelInput.Select(model, request.Signature, request.Model);
        // Streamed: one record is held at a time, each within the budget.
        var logs = Synthesize(signature, modelName, request);
        if (request.Out == OutputFile.StandardOutput)
        {
            var written = 0;
            OutputFile.Write(context, request.Out, stream => written = WarmupFile.Write(stream, logs));
            NoteShared(context, signature, written, request);
            context.Info($"standard output: wrote {written} record(s), signature {signature.Key}, fill {request.Fill}.");
            return ExitCodes.Success;
        }

        var result = WarmupFile.Write(request.Out, logs, new WarmupWriteOptions { CancellationToken = context.Cancellation });
        NoteShared(context, signature, result.Records, request);
        context.Info($"{result.Path}: wrote {result.Records} record(s), {result.Bytes} bytes{(result.Changed ? "" : " (unchanged)")}, " +
                     $"signature {signature.Key}, fill {request.Fill}.");
        return ExitCodes.Success;
    }

    private static void NoteShared(CliContext context, SignatureDefinition signature, int records, Request request)
    {
        if (records < request.BatchSizes.Count)
        {
            context.Info($"note: signature \"{signature.Key}\" has no batch dimension to vary, so batch sizes that give the same shapes share one record.");
        }
    }

    /// <summary>One predict record per distinct set of shapes (batch sizes that change no shape give one record), made lazily.</summary>
    internal static IEnumerable<PredictionLog> Synthesize(SignatureDefinition signature, string modelName, Request request)
    {
        if (signature.Method != "predict")
        {
            throw CliException.Usage($"{request.Model}: signature \"{signature.Key}\" is a {signature.Method} signature; create writes predict records. Pass --signature with a predict signature.");
        }

        var unused = new HashSet<string>(request.Dims.Keys, StringComparer.Ordinal);
        var random = new SplitMix64((ulong)request.Seed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var batch in request.BatchSizes)
        {
            var shapes = signature.Inputs.Select(input => (Input: input, Shape: ShapeOf(input, batch, request, unused))).ToList();
            var key = string.Join(";", shapes.Select(s => TensorShapes.Format(s.Shape)));
            if (!seen.Add(key))
            {
                continue;
            }

            CheckBudget(signature, shapes, batch, request);
            var predict = new PredictRequest { ModelSpec = new ModelSpec { Name = modelName, SignatureName = signature.Key } };
            foreach (var (input, shape) in shapes)
            {
                predict.Inputs.Add(input.Name, TensorProtoConverter.FromTensorData(Values(input, shape, request, random)));
            }

            yield return new PredictionLog { PredictLog = new PredictLog { Request = predict } };
        }

        if (unused.Count > 0)
        {
            throw CliException.Usage($"--dim {unused.Order(StringComparer.Ordinal).First()} matches no dimension of signature \"{signature.Key}\" " +
                $"(inputs: {string.Join(", ", signature.Inputs.Select(i => $"{i.Name} {FormatShape(i)}"))}).");
        }
    }

    private static long[] ShapeOf(SignatureTensor input, long batch, Request request, HashSet<string> unused)
    {
        if (input.Shape is null)
        {
            throw CliException.Invalid($"{request.Model}: input \"{input.Name}\" has unknown rank, so create cannot choose its shape. Write the samples in code or use a model with ranked inputs.");
        }

        var shape = new long[input.Shape.Count];
        for (var axis = 0; axis < shape.Length; axis++)
        {
            var dim = input.Shape[axis];
            var byAxis = $"{input.Name}[{axis}]";
            if (request.Dims.TryGetValue(byAxis, out var size))
            {
                unused.Remove(byAxis);
                shape[axis] = size;
            }
            else if (dim.IsFixed)
            {
                shape[axis] = dim.Size;
            }
            else if (dim.Symbol is { } symbol && request.Dims.TryGetValue(symbol, out size))
            {
                unused.Remove(symbol);
                shape[axis] = size;
            }
            else if (axis == 0)
            {
                shape[axis] = batch;
            }
            else
            {
                var binding = dim.Symbol is { } s ? $"--dim {s}=<size>" : $"--dim {byAxis}=<size>";
                throw CliException.Usage($"{request.Model}: input \"{input.Name}\" {FormatShape(input)} has unbound dimension {axis}" +
                    $"{(dim.Symbol is null ? "" : $" (\"{dim.Symbol}\")")}. Bind it with {binding}.");
            }
        }

        return shape;
    }

    private static string FormatShape(SignatureTensor input) => ShapeText.Format(input.Shape);

    // The record's expanded size from its shapes alone, before any value is made.
    private static void CheckBudget(SignatureDefinition signature, List<(SignatureTensor Input, long[] Shape)> shapes, long batch, Request request)
    {
        var planned = new PredictRequest();
        foreach (var (input, shape) in shapes)
        {
            var dataType = DTypes.TryParse(input.DType, out var parsed) ? parsed : Warmup.Format.Protos.TensorFlow.DataType.DtInvalid;
            planned.Inputs[input.Name] = new Warmup.Format.Protos.TensorFlow.TensorProto { Dtype = dataType, TensorShape = TensorShapes.ToProto(shape) };
        }

        try
        {
            RecordBudget.Check(new PredictionLog { PredictLog = new PredictLog { Request = planned } }, request.Limits);
        }
        catch (WarmupFormatException ex)
        {
            throw CliException.Invalid($"{request.Model}: signature \"{signature.Key}\" at batch size {batch}: {ex.Problem}");
        }
    }

    private static TensorData Values(SignatureTensor input, long[] shape, Request request, SplitMix64 random)
    {
        if (!DTypes.TryParse(input.DType, out var dataType) || !DTypes.Get(dataType).IsSupported)
        {
            throw CliException.Invalid($"{request.Model}: input \"{input.Name}\" has dtype {input.DType}, which ONNX Runtime cannot run from .NET.");
        }

        try
        {
            return TensorFill.Create(dataType, shape, request.Fill, random, $"input \"{input.Name}\"");
        }
        catch (WarmupFormatException ex)
        {
            throw CliException.Invalid($"{request.Model}: {ex.Problem}");
        }
    }

    internal static IReadOnlyList<long> ParseBatchSizes(string text)
    {
        var sizes = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size < 1)
            {
                throw CliException.Usage($"--batch-sizes: \"{part}\" is not a positive integer. Example: --batch-sizes 1,8,32.");
            }

            sizes.Add(size);
        }

        if (sizes.Count > TfServing.MaxRecords)
        {
            throw CliException.Usage($"--batch-sizes: {sizes.Count} sizes give more than the {TfServing.MaxRecords} records TF Serving accepts. Pass fewer sizes.");
        }

        return sizes;
    }

    internal static IReadOnlyDictionary<string, long> ParseDims(IEnumerable<string> bindings)
    {
        var dims = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var binding in bindings)
        {
            var equals = binding.LastIndexOf('=');
            if (equals <= 0 || !long.TryParse(binding.AsSpan(equals + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                throw CliException.Usage($"--dim: \"{binding}\" is not name=value or input[axis]=value with a non-negative integer value. Example: --dim height=224.");
            }

            if (!dims.TryAdd(binding[..equals], size))
            {
                throw CliException.Usage($"--dim: \"{binding[..equals]}\" is bound twice.");
            }
        }

        return dims;
    }
}
