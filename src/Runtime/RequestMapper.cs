using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Signatures;
using Warmup.Format.Tensors;
using TensorProto = Warmup.Format.Protos.TensorFlow.TensorProto;

namespace Warmup.Runtime;

/// <summary>
/// One session run prepared from a record: input tensors already checked against the session. Numeric inputs are
/// ONNX Runtime tensors over the record's own (pinned) bytes; <see cref="Dispose"/> releases the tensors, then the pins.
/// </summary>
internal sealed class PreparedRun : IDisposable
{
    private readonly IDisposable?[] _pins;
    private RequestShape? _requestShape;

    public PreparedRun(string signature, InferenceSession session, string[] inputNames, OrtValue[] inputs, string[] outputNames,
        WarmupTensorShape[] shapes, IDisposable?[]? pins = null)
    {
        Signature = signature;
        Session = session;
        InputNames = inputNames;
        Inputs = inputs;
        OutputNames = outputNames;
        Shapes = shapes;
        _pins = pins ?? [];
    }

    public string Signature { get; }
    public InferenceSession Session { get; }
    public string[] InputNames { get; }
    public OrtValue[] Inputs { get; }
    public string[] OutputNames { get; }
    public WarmupTensorShape[] Shapes { get; }

    /// <summary>The run's shape in the one request-shape definition (session input names); built when first asked for.</summary>
    public RequestShape RequestShape => _requestShape ??= new RequestShape(Signature, Shapes.Select(s =>
        new RequestInputShape(s.Name, DTypes.TryParse(s.DType, out var dtype) ? dtype : DataType.DtInvalid, s.Shape.ToArray())));

    public void Run(RunOptions runOptions, bool useIoBinding)
    {
        using var outputs = RunForOutputs(runOptions, useIoBinding);
    }

    public IDisposableReadOnlyCollection<OrtValue> RunForOutputs(RunOptions runOptions, bool useIoBinding) =>
        useIoBinding ? RunWithBinding(Session, runOptions, InputNames, Inputs, OutputNames) : Session.Run(runOptions, InputNames, Inputs, OutputNames);

    /// <summary>
    /// One run through an IO binding: inputs bound as given, outputs bound to the device the session puts them on (so
    /// a CUDA session keeps them on the GPU). The outputs belong to the caller.
    /// </summary>
    public static IDisposableReadOnlyCollection<OrtValue> RunWithBinding(InferenceSession session, RunOptions runOptions,
        IReadOnlyList<string> inputNames, IReadOnlyList<OrtValue> inputs, IReadOnlyCollection<string> outputNames)
    {
        using var binding = session.CreateIoBinding();
        for (var i = 0; i < inputNames.Count; i++)
        {
            binding.BindInput(inputNames[i], inputs[i]);
        }

        using var memoryInfos = session.GetMemoryInfosForOutputs();
        var allOutputs = session.OutputNames;
        foreach (var name in outputNames)
        {
            var index = IndexOf(allOutputs, name);
            if (index < 0)
            {
                throw new ArgumentException($"The model has no output \"{name}\" (outputs: {string.Join(", ", allOutputs)}).", nameof(outputNames));
            }

            binding.BindOutputToDevice(name, memoryInfos[index]);
        }

        session.RunWithBinding(runOptions, binding);
        return binding.GetOutputValues();
    }

    public void Dispose()
    {
        foreach (var value in Inputs)
        {
            value.Dispose();
        }

        foreach (var pin in _pins)
        {
            pin?.Dispose();
        }
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>All runs of one record.</summary>
internal sealed class PreparedRecord : IDisposable
{
    public PreparedRecord(IReadOnlyList<PreparedRun> runs) => Runs = runs;

    public IReadOnlyList<PreparedRun> Runs { get; }

    public IReadOnlyList<string> Signatures => Runs.Select(r => r.Signature).ToArray();

    public IReadOnlyList<WarmupTensorShape> Shapes => Runs.SelectMany(r => r.Shapes).ToArray();

    /// <summary>A key that is equal for records feeding the same signatures with the same dtypes and shapes.</summary>
    public string ShapeKey => string.Join(" | ", Runs.Select(r => r.Signature + " " + string.Join(" ", r.Shapes.Select(s => s.ToString()))));

    public void Dispose()
    {
        foreach (var run in Runs)
        {
            run.Dispose();
        }
    }
}

/// <summary>
/// Maps PredictionLog records to ONNX Runtime inputs: request names through <see cref="InputNames.Resolve"/>, tensors
/// through <see cref="TensorProtoConverter"/>, every dtype and shape checked against the session's metadata before any
/// native call. Errors are <see cref="WarmupReplayException"/> without location (the caller adds it).
/// </summary>
internal static class RequestMapper
{
    public static PreparedRecord Prepare(PredictionLog log, IReadOnlyDictionary<string, InferenceSession> sessions, WarmupReplayOptions options)
    {
        try
        {
            // The record's expanded size, from shapes alone, before any tensor is decoded or allocated.
            RecordBudget.Check(log, options.TensorLimits);
        }
        catch (WarmupFormatException ex)
        {
            throw WarmupReplayException.FromFormat(ex);
        }

        var runs = new List<PreparedRun>();
        try
        {
            var view = new PredictionLogView(log);
            if (view.Support == LogTypeSupport.Rejected && !(view.Type == WarmupLogType.SessionRun && options.AllowSessionRunFeeds))
            {
                throw new WarmupReplayException(WarmupFailureKind.UnsupportedLogType,
                    $"Unsupported log_type for warmup: {view.FieldNumber} ({view.Name}). " +
                    (view.Type == WarmupLogType.SessionRun
                        ? "TF Serving rejects session_run_log records; use predict_log, or set AllowSessionRunFeeds to replay their feeds."
                        : "TF Serving's classic runtime rejects this log type; use predict_log."));
            }

            foreach (var request in view.Requests)
            {
                if (!request.IsSet)
                {
                    throw Invalid(view.Type == WarmupLogType.SessionRun
                        ? $"{view.FieldName} has no request."
                        : $"{view.FieldName} has no request. Set {view.FieldName}.request.");
                }

                if (!request.TakesExamples)
                {
                    runs.Add(MapTensors(request, sessions, options));
                    continue;
                }

                if (view.Type == WarmupLogType.MultiInference && request.Tasks.Count == 0)
                {
                    throw Invalid("multi_inference request has no tasks. Add at least one inference task.");
                }

                foreach (var task in request.Tasks)
                {
                    if (task.MethodName is not (TfServing.ClassifyMethod or TfServing.RegressMethod))
                    {
                        throw Invalid($"multi_inference task method \"{task.MethodName}\" is not {TfServing.ClassifyMethod} or {TfServing.RegressMethod}.");
                    }

                    runs.Add(MapExamples(task.SignatureName, request, view.RequestName, sessions, options));
                }
            }

            return new PreparedRecord(runs);
        }
        catch
        {
            foreach (var run in runs)
            {
                run.Dispose();
            }

            throw;
        }
    }

    // A predict request's inputs, or a session run's feeds (AllowSessionRunFeeds).
    private static PreparedRun MapTensors(WarmupRequestView request, IReadOnlyDictionary<string, InferenceSession> sessions, WarmupReplayOptions options)
    {
        var (signature, session) = SelectSession(request.Tasks[0].SignatureName, sessions);
        var tensors = request.Tensors;
        if (tensors.Count == 0 && request.Type == WarmupLogType.Predict)
        {
            throw new WarmupReplayException(WarmupFailureKind.UnknownInput, "predict request has no inputs. Add the model's input tensors.");
        }

        var feeds = new FeedBuilder(session, signature);
        try
        {
            foreach (var (name, tensor) in tensors)
            {
                var what = $"{request.TensorLabel} \"{name}\"";
                var input = ResolveInput(name, session, signature, options);
                feeds.Add(what, input, Decode(tensor ?? new TensorProto(), what, options));
            }

            return feeds.Build(ResolveOutputs(request.OutputNames, session, signature, request.OutputField));
        }
        catch
        {
            feeds.Dispose();
            throw;
        }
    }

    private static PreparedRun MapExamples(string? signatureName, WarmupRequestView request, string what, IReadOnlyDictionary<string, InferenceSession> sessions,
        WarmupReplayOptions options)
    {
        var (signature, session) = SelectSession(signatureName, sessions);
        var examples = ExamplesOf(request, what);
        var feeds = new FeedBuilder(session, signature);
        try
        {
            var modelInputs = session.InputNames;
            if (modelInputs.Count == 1 && session.InputMetadata[modelInputs[0]] is { IsString: true } only)
            {
                // TF's convention: the signature's single DT_STRING input (tf_example:0) takes the serialized Examples.
                var bytes = examples.Select(e => e.ToByteArray()).ToArray();
                long[] shape = only.Dimensions.Length == 2 ? [bytes.Length, 1] : [bytes.Length];
                feeds.Add("tf.Examples", modelInputs[0], new FeedTensor(TensorData.CreateStrings(bytes, shape)));
            }
            else
            {
                AddFeatures(examples, feeds, session, signature, options);
            }

            return feeds.Build(ResolveOutputs([], session, signature, "outputs"));
        }
        catch
        {
            feeds.Dispose();
            throw;
        }
    }

    // Feature-by-feature: each session input takes the feature of the same name from every Example (batch = examples).
    private static void AddFeatures(IReadOnlyList<Example> examples, FeedBuilder feeds, InferenceSession session, string signature, WarmupReplayOptions options)
    {
        var featureForInput = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var feature in examples.SelectMany(e => e.Features?.Feature.Keys ?? Enumerable.Empty<string>()).Distinct().Order(StringComparer.Ordinal))
        {
            if (InputNames.Resolve(feature, session.InputNames, options.InputNameMap, signature) is { } input)
            {
                featureForInput.TryAdd(input, feature);
            }
        }

        foreach (var input in session.InputNames)
        {
            if (!featureForInput.TryGetValue(input, out var feature))
            {
                var present = examples.SelectMany(e => e.Features?.Feature.Keys ?? Enumerable.Empty<string>()).Distinct().Order(StringComparer.Ordinal);
                throw new WarmupReplayException(WarmupFailureKind.UnknownInput,
                    $"the model's input \"{input}\" has no feature of that name in the tf.Examples (features: {string.Join(", ", present.Select(p => $"\"{p}\""))}). " +
                    "Add the feature, map it with InputNameMap, or give the model a single string input that takes serialized Examples.");
            }

            feeds.Add($"feature \"{feature}\"", input, new FeedTensor(FeatureTensor(examples, feature, session.InputMetadata[input])));
        }
    }

    private static TensorData FeatureTensor(IReadOnlyList<Example> examples, string feature, NodeMetadata metadata)
    {
        Feature.KindOneofCase? kind = null;
        var perExample = -1;
        var lists = new Feature[examples.Count];
        for (var i = 0; i < examples.Count; i++)
        {
            if (examples[i].Features?.Feature.TryGetValue(feature, out var value) != true || value is null)
            {
                throw new WarmupReplayException(WarmupFailureKind.InvalidTensor,
                    $"tf.Example {i} lacks feature \"{feature}\", which the other examples have. Every example needs every input feature.");
            }

            var count = value.KindCase switch
            {
                Feature.KindOneofCase.FloatList => value.FloatList.Value.Count,
                Feature.KindOneofCase.Int64List => value.Int64List.Value.Count,
                Feature.KindOneofCase.BytesList => value.BytesList.Value.Count,
                _ => throw new WarmupReplayException(WarmupFailureKind.InvalidTensor, $"feature \"{feature}\" of tf.Example {i} has no value list."),
            };
            if (kind is not null && (kind != value.KindCase || count != perExample))
            {
                throw new WarmupReplayException(WarmupFailureKind.InvalidTensor,
                    $"feature \"{feature}\" of tf.Example {i} has {count} {value.KindCase} value(s), but tf.Example 0 has {perExample} {kind}: " +
                    "a fixed-length feature needs the same type and count in every example.");
            }

            kind = value.KindCase;
            perExample = count;
            lists[i] = value;
        }

        long[] shape = metadata.Dimensions.Length == 1 && perExample == 1 ? [examples.Count] : [examples.Count, perExample];
        return kind switch
        {
            Feature.KindOneofCase.FloatList => TensorData.Create(lists.SelectMany(f => f.FloatList.Value).ToArray(), shape),
            Feature.KindOneofCase.Int64List => TensorData.Create(lists.SelectMany(f => f.Int64List.Value).ToArray(), shape),
            _ => TensorData.CreateStrings(lists.SelectMany(f => f.BytesList.Value).Select(b => b.ToByteArray()).ToArray(), shape),
        };
    }

    private static List<Example> ExamplesOf(WarmupRequestView request, string what)
    {
        if (request.Examples is not { } examples)
        {
            throw Invalid($"{what} request has no input.example_list. Add the tf.Examples to {what}.");
        }

        if (examples.Count == 0)
        {
            throw Invalid($"{what} request has an empty example list. Add at least one tf.Example.");
        }

        // TF merges the context's features into every example (the example's own value wins).
        if (request.Context?.Features?.Feature is not { } context)
        {
            return examples.ToList();
        }

        return examples.Select(e =>
        {
            var merged = e.Clone();
            merged.Features ??= new Features();
            foreach (var (name, value) in context)
            {
                merged.Features.Feature.TryAdd(name, value);
            }

            return merged;
        }).ToList();
    }

    private static (string Signature, InferenceSession Session) SelectSession(string? signatureName, IReadOnlyDictionary<string, InferenceSession> sessions)
    {
        var signature = TfServing.ResolveSignatureName(signatureName);
        if (sessions.TryGetValue(signature, out var session))
        {
            return (signature, session);
        }

        throw new WarmupReplayException(WarmupFailureKind.UnknownSignature,
            $"Serving signature key \"{signature}\" not found. Registered signatures: {string.Join(", ", sessions.Keys.Order(StringComparer.Ordinal).Select(k => $"\"{k}\""))}. " +
            "Register a session for it, or fix the record's model_spec.signature_name.");
    }

    private static string ResolveInput(string requestName, InferenceSession session, string signature, WarmupReplayOptions options) =>
        InputNames.Resolve(requestName, session.InputNames, options.InputNameMap, signature)
        ?? throw new WarmupReplayException(WarmupFailureKind.UnknownInput, InputNames.DescribeUnknown(requestName, session.InputNames));

    private static string[] ResolveOutputs(IEnumerable<string> requested, InferenceSession session, string signature, string field)
    {
        var names = requested.ToList();
        if (names.Count == 0)
        {
            return session.OutputNames.ToArray();
        }

        var resolved = new List<string>();
        foreach (var name in names)
        {
            var output = InputNames.Resolve(name, session.OutputNames, null, signature)
                ?? throw new WarmupReplayException(WarmupFailureKind.UnknownOutput,
                    $"{field} names \"{name}\", which matches none of the model's outputs ({string.Join(", ", session.OutputNames.Select(n => $"\"{n}\""))}). " +
                    $"Fix the {field} or leave it empty to fetch every output.");
            if (!resolved.Contains(output, StringComparer.Ordinal))
            {
                resolved.Add(output);
            }
        }

        return resolved.ToArray();
    }

    /// <summary>
    /// Decodes a record's named tensors into native tensors and frees them, with no session: the part of a replay that
    /// does not need the model (<see cref="ReplayPrefetch"/>). Throws what <see cref="Prepare"/> would for a bad tensor.
    /// </summary>
    internal static void DecodeWithoutSession(PredictionLog log, WarmupReplayOptions options)
    {
        foreach (var request in new PredictionLogView(log).Requests)
        {
            foreach (var (name, tensor) in request.Tensors)
            {
                if (tensor is null)
                {
                    continue;
                }

                var value = ToOrtValue(Decode(tensor, $"{request.TensorLabel} \"{name}\"", options), out var pin);
                value.Dispose();
                pin?.Dispose();
            }
        }
    }

    private static FeedTensor Decode(TensorProto proto, string what, WarmupReplayOptions options)
    {
        try
        {
            // Raw tensor_content has ONNX's little-endian layout already: checked without decoding, then fed in place (the
            // native tensor is created over those bytes). Typed fields (TF's fill rules), strings and bools (any non-zero
            // byte is true) decode.
            var shape = TensorProtoConverter.Validate(proto, what, options.TensorLimits);
            var dtype = DTypes.Get(proto.Dtype);
            return !proto.TensorContent.IsEmpty && !dtype.IsString && dtype.DataType != DataType.DtBool
                ? new FeedTensor(dtype, shape, null, proto.TensorContent)
                : new FeedTensor(TensorProtoConverter.ToTensorData(proto, what, options.TensorLimits));
        }
        catch (WarmupFormatException ex)
        {
            throw WarmupReplayException.FromFormat(ex);
        }
    }

    private static WarmupReplayException Invalid(string problem) => new(WarmupFailureKind.InvalidRequest, problem);

    /// <summary>Collects checked inputs for one run and creates their native tensors.</summary>
    private sealed class FeedBuilder : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly string _signature;
        private readonly List<(string Input, OrtValue Value, WarmupTensorShape Shape, IDisposable? Pin)> _feeds = [];
        private readonly Dictionary<string, int> _fed = new(StringComparer.Ordinal); // input → index in _feeds: linear in the inputs
        private readonly TensorSymbols _symbols = new();
        private bool _built;

        public FeedBuilder(InferenceSession session, string signature)
        {
            _session = session;
            _signature = signature;
        }

        public void Add(string requestName, string input, FeedTensor data)
        {
            if (_fed.ContainsKey(input))
            {
                throw new WarmupReplayException(WarmupFailureKind.UnknownInput,
                    $"{requestName} and another request input both map to the model's input \"{input}\". Feed each input once.");
            }

            Check(requestName, input, data);
            var value = ToOrtValue(data, out var pin);
            _fed.Add(input, _feeds.Count);
            _feeds.Add((input, value, new WarmupTensorShape(input, data.DType.Name, data.Shape), pin));
        }

        public PreparedRun Build(string[] outputs)
        {
            var missing = _session.InputNames.Where(n => !_fed.ContainsKey(n)).ToList();
            if (missing.Count > 0)
            {
                throw new WarmupReplayException(WarmupFailureKind.UnknownInput,
                    $"the request does not feed the model's input(s) {InputNames.List(missing)} (signature \"{_signature}\"). " +
                    "Every model input needs a tensor in the request.");
            }

            // Feed in the session's input order so runs are deterministic.
            var ordered = _session.InputNames.Select(n => _feeds[_fed[n]]).ToArray();
            _built = true;
            return new PreparedRun(_signature, _session, ordered.Select(f => f.Input).ToArray(), ordered.Select(f => f.Value).ToArray(), outputs,
                ordered.Select(f => f.Shape).ToArray(), ordered.Select(f => f.Pin).ToArray());
        }

        public void Dispose()
        {
            if (!_built)
            {
                foreach (var feed in _feeds)
                {
                    feed.Value.Dispose();
                    feed.Pin?.Dispose();
                }
            }
        }

        private void Check(string requestName, string input, FeedTensor data)
        {
            var metadata = _session.InputMetadata[input];
            if (!metadata.IsTensor)
            {
                throw new WarmupReplayException(WarmupFailureKind.UnsupportedDtype,
                    $"the model's input \"{input}\" is a {metadata.OnnxValueType}, not a tensor; warmup can only feed tensors.");
            }

            var expected = DTypes.FromOnnx((OnnxElementType)(int)metadata.ElementDataType);
            var mismatch = TensorRules.CheckDType(requestName, data.DType.DataType, input, expected?.Name ?? $"ONNX {metadata.ElementDataType}", expected)
                ?? TensorRules.CheckShape(requestName, data.Shape, input, DeclaredShape(metadata), _symbols);
            if (mismatch is not null)
            {
                throw WarmupReplayException.FromMismatch(mismatch);
            }
        }
    }

    /// <summary>
    /// A session input's dimensions in the rules' neutral form: -1 with a <c>dim_param</c> name is symbolic, -1 without
    /// one is unknown, and no dimensions at all is unknown rank (ONNX Runtime reports scalars and inputs of unknown rank alike).
    /// </summary>
    internal static SignatureDimension[]? DeclaredShape(NodeMetadata metadata)
    {
        var dims = metadata.Dimensions;
        if (dims.Length == 0)
        {
            return null;
        }

        var shape = new SignatureDimension[dims.Length];
        for (var d = 0; d < dims.Length; d++)
        {
            var symbol = metadata.SymbolicDimensions.Length > d ? metadata.SymbolicDimensions[d] : null;
            shape[d] = dims[d] >= 0 ? SignatureDimension.Fixed(dims[d])
                : string.IsNullOrEmpty(symbol) ? SignatureDimension.Unknown
                : SignatureDimension.Symbolic(symbol);
        }

        return shape;
    }

    /// <summary>
    /// Makes an ONNX Runtime tensor of a checked request tensor. A numeric tensor is not copied: the tensor is created over
    /// its bytes (the record's <c>tensor_content</c>, or the decoded values), which stay pinned until <paramref name="pin"/>
    /// is disposed, after the tensor. Strings, empty tensors and (never in practice) misaligned bytes are copied into
    /// native memory, and <paramref name="pin"/> is null.
    /// </summary>
    internal static OrtValue ToOrtValue(FeedTensor feed, out IDisposable? pin)
    {
        pin = null;
        var type = (TensorElementType)(int)feed.DType.OnnxType;
        if (feed.Data is { DType.IsString: true } strings)
        {
            return StringTensor((byte[][])strings.Values, feed.Shape);
        }

        // The dtype table's element types are blittable with ONNX's layouts (bool is one byte of 0/1, Half and BFloat16 are raw bits).
        if (feed.Data is { } data)
        {
            var length = checked(data.Values.Length * data.DType.ElementSize);
            if (length > 0)
            {
                var handle = GCHandle.Alloc(data.Values, GCHandleType.Pinned);
                try
                {
                    var value = Wrap(handle.AddrOfPinnedObject(), length, feed, type);
                    if (value is not null)
                    {
                        pin = new PinnedArray(handle);
                        return value;
                    }
                }
                catch
                {
                    handle.Free();
                    throw;
                }

                handle.Free();
            }

            var copy = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, feed.Shape);
            MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(data.Values), length).CopyTo(copy.GetTensorMutableRawData());
            return copy;
        }

        var content = MemoryMarshal.AsMemory(feed.Content!.Memory);
        if (content.Length > 0)
        {
            var handle = content.Pin();
            try
            {
                unsafe
                {
                    var value = Wrap((nint)handle.Pointer, content.Length, feed, type);
                    if (value is not null)
                    {
                        pin = handle;
                        return value;
                    }
                }
            }
            catch
            {
                handle.Dispose();
                throw;
            }

            handle.Dispose();
        }

        var tensor = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, feed.Shape);
        content.Span.CopyTo(tensor.GetTensorMutableRawData());
        return tensor;
    }

    // A tensor over pinned bytes, or null when they are not aligned to the element size.
    private static OrtValue? Wrap(nint pointer, int length, FeedTensor feed, TensorElementType type) =>
        pointer % feed.DType.ElementSize == 0 ? OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, type, feed.Shape, pointer, length) : null;

    private sealed class PinnedArray(GCHandle handle) : IDisposable
    {
        private GCHandle _handle = handle;

        public void Dispose()
        {
            if (_handle.IsAllocated)
            {
                _handle.Free();
            }
        }
    }

    private static OrtValue StringTensor(byte[][] strings, long[] shape)
    {
        var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
        try
        {
            for (var i = 0; i < strings.Length; i++)
            {
                value.StringTensorSetElementAt((ReadOnlySpan<byte>)strings[i], i);
            }

            return value;
        }
        catch
        {
            value.Dispose();
            throw;
        }
    }
}

/// <summary>A checked request tensor: decoded values, or the raw little-endian content of a numeric tensor.</summary>
internal sealed class FeedTensor
{
    public FeedTensor(TensorData data)
        : this(data.DType, data.GetShape(), data, null)
    {
    }

    public FeedTensor(DTypeInfo dtype, long[] shape, TensorData? data, ByteString? content)
    {
        DType = dtype;
        Shape = shape;
        Data = data;
        Content = content;
    }

    public DTypeInfo DType { get; }
    public long[] Shape { get; }
    public TensorData? Data { get; }
    public ByteString? Content { get; }
}
