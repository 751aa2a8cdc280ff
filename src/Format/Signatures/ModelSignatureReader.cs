using Google.Protobuf;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Protos.Views;
using Warmup.Format.Tensors;
using OnnxTensorShape = Warmup.Format.Protos.Onnx.TensorShapeProto;
using OnnxTypeProto = Warmup.Format.Protos.Onnx.TypeProto;
using OnnxValueInfo = Warmup.Format.Protos.Onnx.ValueInfoProto;

namespace Warmup.Format.Signatures;

/// <summary>The kind of model a <c>WarmupModel</c> points at.</summary>
public enum ModelFormat
{
    /// <summary>Not a model Warmup reads.</summary>
    Unknown,

    /// <summary>An <c>.onnx</c> file.</summary>
    Onnx,

    /// <summary>A SavedModel directory (<c>saved_model.pb</c>, <c>variables/</c>, <c>assets/</c>).</summary>
    SavedModel,
}

/// <summary>What is wrong with a model whose signature cannot be read.</summary>
public enum ModelSignatureErrorKind
{
    /// <summary>The file or directory does not exist.</summary>
    NotFound,

    /// <summary>The file exists but cannot be read (permissions, I/O).</summary>
    Unreadable,

    /// <summary>The path is neither an <c>.onnx</c> file nor a SavedModel directory.</summary>
    UnsupportedFormat,

    /// <summary>The bytes are not a valid ONNX model or SavedModel.</summary>
    Malformed,

    /// <summary>The SavedModel has no meta graph tagged exactly <c>serve</c>.</summary>
    NoServeMetaGraph,

    /// <summary>A model input has a dtype Warmup cannot feed.</summary>
    UnsupportedDType,
}

/// <summary>A model's signature could not be read. The message names the file, the problem and what to do.</summary>
public sealed class ModelSignatureException : WarmupException
{
    /// <summary>Creates the exception.</summary>
    public ModelSignatureException(ModelSignatureErrorKind kind, string modelPath, string problem, Exception? innerException = null)
        : base(problem, modelPath ?? throw new ArgumentNullException(nameof(modelPath)), null, null, innerException)
    {
        Kind = kind;
        ModelPath = modelPath;
    }

    /// <summary>The kind of problem.</summary>
    public ModelSignatureErrorKind Kind { get; }

    /// <summary>The model file or directory (the <see cref="WarmupException.FilePath"/>).</summary>
    public string ModelPath { get; }
}

/// <summary>A model's signatures plus notes about parts that were left out (e.g. sparse inputs).</summary>
/// <param name="File">The signature file model (docs/contracts.md §1).</param>
/// <param name="Warnings">Why a signature was left out, one message each.</param>
public sealed record ModelSignatures(SignatureFile File, IReadOnlyList<string> Warnings);

/// <summary>
/// Reads the serving signature of an ONNX model or a SavedModel by parsing protobuf only: no native code is loaded, the
/// file is read once, and graph nodes and weights are skipped on the wire without being copied.
/// </summary>
public static class ModelSignatureReader
{
    /// <summary>The file inside a SavedModel directory that holds the meta graphs.</summary>
    public const string SavedModelFileName = "saved_model.pb";

    private const string SavedModelTextFileName = "saved_model.pbtxt";
    private const string OnnxExtension = ".onnx";
    private const int ReadBufferSize = 1 << 16;

    private static readonly MessageParser<OnnxModelView> OnnxParser = OnnxModelView.Parser.WithDiscardUnknownFields(true);
    private static readonly MessageParser<SavedModel> SavedModelParser = SavedModel.Parser.WithDiscardUnknownFields(true);

    /// <summary>Tells what kind of model <paramref name="path"/> is, from its name and layout (it does not read the file).</summary>
    public static ModelFormat DetectFormat(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            return File.Exists(Path.Combine(path, SavedModelFileName)) ? ModelFormat.SavedModel : ModelFormat.Unknown;
        }

        if (string.Equals(Path.GetFileName(path), SavedModelFileName, StringComparison.OrdinalIgnoreCase))
        {
            return ModelFormat.SavedModel;
        }

        return path.EndsWith(OnnxExtension, StringComparison.OrdinalIgnoreCase) ? ModelFormat.Onnx : ModelFormat.Unknown;
    }

    /// <summary>
    /// Reads the signatures of the model at <paramref name="path"/>: an <c>.onnx</c> file, a SavedModel directory, or its
    /// <c>saved_model.pb</c>.
    /// </summary>
    /// <param name="path">The model file or directory.</param>
    /// <param name="modelName">The TF Serving model name written into the signature file.</param>
    /// <param name="source">The path as given in the project (informational); defaults to <paramref name="path"/>.</param>
    /// <exception cref="ModelSignatureException">The model is missing, unreadable, not a supported format, or malformed.</exception>
    public static ModelSignatures Read(string path, string modelName, string? source = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(modelName);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new ModelSignatureException(ModelSignatureErrorKind.NotFound, path,
                "the model does not exist. Check the WarmupModel item's path (an .onnx file or a SavedModel directory).");
        }

        return DetectFormat(path) switch
        {
            ModelFormat.Onnx => ReadOnnx(path, modelName, source),
            ModelFormat.SavedModel => ReadSavedModel(path, modelName, source),
            _ => throw Unsupported(path),
        };
    }

    /// <summary>Reads an ONNX model's graph inputs (initializers excluded) and outputs as the one <c>serving_default predict</c> signature.</summary>
    /// <exception cref="ModelSignatureException">The file is missing, unreadable, not ONNX, or has an input dtype Warmup cannot feed.</exception>
    public static ModelSignatures ReadOnnx(string path, string modelName, string? source = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(modelName);
        var model = ParseFile(path, OnnxParser, "an ONNX model (onnx.ModelProto)");
        if (model.IrVersion <= 0 || model.Graph is null)
        {
            throw new ModelSignatureException(ModelSignatureErrorKind.Malformed, path,
                "not an ONNX model: it has no IR version or no graph. Export the model to ONNX (.onnx) again.");
        }

        var initializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var initializer in model.Graph.Initializer)
        {
            initializers.Add(initializer.Name);
        }

        foreach (var sparse in model.Graph.SparseInitializer)
        {
            if (sparse.Values is not null)
            {
                initializers.Add(sparse.Values.Name);
            }
        }

        var inputs = new List<SignatureTensor>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in model.Graph.Input)
        {
            // Older IR versions list weights as graph inputs too; they are not inputs a request feeds.
            if (!initializers.Contains(input.Name))
            {
                var tensor = OnnxTensor(path, input, isInput: true);
                if (!names.Add(tensor.Name))
                {
                    throw new ModelSignatureException(ModelSignatureErrorKind.Malformed, path,
                        $"graph input '{tensor.Name}' is declared twice; ONNX input names must be unique. Re-export the model.");
                }

                inputs.Add(tensor);
            }
        }

        var outputs = model.Graph.Output.Select(output => OnnxTensor(path, output, isInput: false)).ToList();
        var signature = new SignatureDefinition(TfServing.DefaultSignatureName, "predict", inputs, outputs);
        return new ModelSignatures(new SignatureFile(modelName, source ?? path, "onnx", [signature]), []);
    }

    /// <summary>
    /// Reads the <c>signature_def</c> map of the SavedModel's meta graph tagged exactly <c>serve</c> (as TF Serving loads it),
    /// sorted by key, leaving out <c>__</c> keys and signatures Warmup cannot address (reported in
    /// <see cref="ModelSignatures.Warnings"/>).
    /// </summary>
    /// <param name="path">The SavedModel directory or its <c>saved_model.pb</c>.</param>
    /// <param name="modelName">The TF Serving model name.</param>
    /// <param name="source">The path as given in the project (informational).</param>
    /// <exception cref="ModelSignatureException">The SavedModel is missing, unreadable, malformed or has no <c>serve</c> meta graph.</exception>
    public static ModelSignatures ReadSavedModel(string path, string modelName, string? source = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(modelName);
        var file = Directory.Exists(path) ? Path.Combine(path, SavedModelFileName) : path;
        if (!File.Exists(file) && Directory.Exists(path) && File.Exists(Path.Combine(path, SavedModelTextFileName)))
        {
            throw new ModelSignatureException(ModelSignatureErrorKind.UnsupportedFormat, path,
                $"the SavedModel is in text format ({SavedModelTextFileName}); Warmup reads the binary {SavedModelFileName}. Export it with tf.saved_model.save.");
        }

        var savedModel = ParseFile(file, SavedModelParser, "a SavedModel (tensorflow.SavedModel)");
        if (savedModel.MetaGraphs.Count == 0)
        {
            throw new ModelSignatureException(ModelSignatureErrorKind.Malformed, file,
                "not a SavedModel: it holds no meta graph. Export the model with tf.saved_model.save.");
        }

        // TF Serving loads the meta graph whose tag set is exactly {serve}.
        var serve = savedModel.MetaGraphs.FirstOrDefault(m =>
            m.MetaInfoDef is { } info && info.Tags.Distinct(StringComparer.Ordinal).SequenceEqual([TfServing.ServeTag]));
        if (serve is null)
        {
            var found = string.Join(", ", savedModel.MetaGraphs.Select(m => "[" + string.Join(", ", m.MetaInfoDef?.Tags ?? []) + "]"));
            throw new ModelSignatureException(ModelSignatureErrorKind.NoServeMetaGraph, file,
                $"no meta graph is tagged exactly '{TfServing.ServeTag}' (found {found}); TF Serving loads that one. Export with tags=['{TfServing.ServeTag}'].");
        }

        var warnings = new List<string>();
        var signatures = new List<SignatureDefinition>();
        foreach (var (key, def) in serve.SignatureDef.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!TfServing.IsServingSignatureKey(key))
            {
                continue;
            }

            var method = def.MethodName switch
            {
                TfServing.PredictMethod => "predict",
                TfServing.ClassifyMethod => "classify",
                TfServing.RegressMethod => "regress",
                _ => null,
            };
            if (method is null)
            {
                warnings.Add($"signature '{key}' has method '{def.MethodName}', which TF Serving's predict/classify/regress APIs do not serve; it is left out.");
                continue;
            }

            var sparse = def.Inputs.Concat(def.Outputs).Where(p => p.Value.EncodingCase != TensorInfo.EncodingOneofCase.Name || p.Value.Name.Length == 0)
                .Select(p => p.Key).ToList();
            if (sparse.Count > 0)
            {
                warnings.Add($"signature '{key}' has sparse or composite tensors ({string.Join(", ", sparse)}), which a warmup request cannot feed; it is left out.");
                continue;
            }

            signatures.Add(new SignatureDefinition(key, method,
                def.Inputs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => SavedModelTensor(p.Key, p.Value)).ToList(),
                def.Outputs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => SavedModelTensor(p.Key, p.Value)).ToList()));
        }

        return new ModelSignatures(new SignatureFile(modelName, source ?? path, "savedmodel", signatures), warnings);
    }

    private static T ParseFile<T>(string path, MessageParser<T> parser, string what)
        where T : IMessage<T>
    {
        if (!File.Exists(path))
        {
            throw new ModelSignatureException(ModelSignatureErrorKind.NotFound, path,
                "the model file does not exist. Check the WarmupModel item's path.");
        }

        try
        {
            // One sequential pass; skipped fields stream through the parser's small buffer.
            using var stream = SafeFile.OpenRead(path, "the model file", ReadBufferSize, FileOptions.SequentialScan);
            return parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ModelSignatureException(ModelSignatureErrorKind.Malformed, path,
                $"not {what}: {ex.Message} Check that the file is a complete, uncorrupted export.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelSignatureException(ModelSignatureErrorKind.Unreadable, path,
                $"cannot read the model ({WarmupFile.StripPath(ex.Message, path)}). Check that it is a regular, readable file.", ex);
        }
    }

    private static SignatureTensor OnnxTensor(string path, OnnxValueInfo value, bool isInput)
    {
        var kind = isInput ? "input" : "output";
        if (string.IsNullOrEmpty(value.Name))
        {
            throw new ModelSignatureException(ModelSignatureErrorKind.Malformed, path, $"a graph {kind} has no name. Re-export the model.");
        }

        if (value.Type?.ValueCase != OnnxTypeProto.ValueOneofCase.TensorType)
        {
            if (isInput)
            {
                throw new ModelSignatureException(ModelSignatureErrorKind.UnsupportedDType, path,
                    $"input '{value.Name}' is a {Describe(value.Type)}, not a tensor; warmup requests feed tensors only. Export the model with tensor inputs.");
            }

            return new SignatureTensor(value.Name, DTypes.Name(DataType.DtInvalid), null, value.Name);
        }

        var tensorType = value.Type.TensorType;
        var elementType = (OnnxElementType)tensorType.ElemType;
        var dtype = DTypes.FromOnnx(elementType);
        if (isInput && dtype is not { IsSupported: true })
        {
            throw new ModelSignatureException(ModelSignatureErrorKind.UnsupportedDType, path,
                $"input '{value.Name}' has ONNX element type {elementType} ({tensorType.ElemType}), which has no TensorFlow dtype that ONNX Runtime's C# API feeds. " +
                "Change the input to float, double, (u)int8/16/32/64, bool, string, float16 or bfloat16.");
        }

        return new SignatureTensor(value.Name, dtype?.Name ?? DTypes.Name(DataType.DtInvalid), OnnxShape(tensorType.Shape), value.Name);
    }

    private static string Describe(OnnxTypeProto? type) => type?.ValueCase switch
    {
        OnnxTypeProto.ValueOneofCase.SequenceType => "sequence",
        OnnxTypeProto.ValueOneofCase.MapType => "map",
        OnnxTypeProto.ValueOneofCase.SparseTensorType => "sparse tensor",
        OnnxTypeProto.ValueOneofCase.OptionalType => "optional",
        _ => "value of unknown type",
    };

    private static List<SignatureDimension>? OnnxShape(OnnxTensorShape? shape)
    {
        if (shape is null)
        {
            return null;
        }

        return shape.Dim.Select(dim => dim.ValueCase switch
        {
            OnnxTensorShape.Types.Dimension.ValueOneofCase.DimValue when dim.DimValue >= 0 => SignatureDimension.Fixed(dim.DimValue),
            OnnxTensorShape.Types.Dimension.ValueOneofCase.DimParam when dim.DimParam.Length > 0 => SignatureDimension.Symbolic(dim.DimParam),
            _ => SignatureDimension.Unknown,
        }).ToList();
    }

    private static SignatureTensor SavedModelTensor(string alias, TensorInfo info)
    {
        List<SignatureDimension>? shape = null;
        if (info.TensorShape is { UnknownRank: false } tfShape)
        {
            shape = tfShape.Dim.Select(d => d.Size >= 0 ? SignatureDimension.Fixed(d.Size) : SignatureDimension.Unknown).ToList();
        }

        return new SignatureTensor(alias, DTypes.Name(info.Dtype), shape, info.Name);
    }

    private static ModelSignatureException Unsupported(string path) => new(ModelSignatureErrorKind.UnsupportedFormat, path,
        "not a model Warmup reads: expected an .onnx file or a SavedModel directory containing saved_model.pb.");
}
