using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format.Signatures;

/// <summary>Options for <see cref="SignatureChecker.Check"/>.</summary>
public sealed class SignatureCheckOptions
{
    /// <summary>Check every record against this signature instead of the one it names (empty names mean <c>serving_default</c>).</summary>
    public string? SignatureName { get; init; }

    /// <summary>Request input name → model input name pairs, consulted after the built-in rules of <see cref="InputNames.Resolve"/>.</summary>
    public IReadOnlyDictionary<string, string>? InputNameMap { get; init; }
}

/// <summary>
/// Checks a warmup record against a model's signature (input names, dtypes, ranks, fixed dims, supported dtypes, method),
/// the one rule set shared by the CLI, the build and the runtime. Findings carry no location; callers add the record's.
/// </summary>
public static class SignatureChecker
{
    /// <summary>Returns every way <paramref name="log"/> does not fit <paramref name="model"/>. Never throws for bad content.</summary>
    public static IReadOnlyList<WarmupIssue> Check(PredictionLog log, SignatureFile model, SignatureCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new SignatureCheckOptions();
        var issues = new List<WarmupIssue>();
        var view = new PredictionLogView(log);
        if (view.Support != LogTypeSupport.Replayed)
        {
            return issues;
        }

        foreach (var request in view.Requests)
        {
            foreach (var task in request.Tasks)
            {
                var requested = options.SignatureName ?? task.SignatureName;
                if (!request.TakesExamples)
                {
                    if (Find(model, requested, issues) is { } signature)
                    {
                        CheckPredict(request.Tensors, signature, options, issues);
                    }
                }
                else if (task.SignatureMethod is { } method)
                {
                    CheckExamples(model, requested, method, request, options, issues);
                }
            }
        }

        return issues;
    }

    private static SignatureDefinition? Find(SignatureFile model, string? requested, List<WarmupIssue> issues)
    {
        var key = TfServing.ResolveSignatureName(requested);
        var signature = model.Signatures.FirstOrDefault(s => string.Equals(s.Key, key, StringComparison.Ordinal));
        if (signature is null)
        {
            issues.Add(Error(WarmupErrorKind.SignatureMismatch,
                $"Serving signature key \"{key}\" not found in model \"{model.ModelName}\" (signatures: {string.Join(", ", model.Signatures.Select(s => s.Key))}). " +
                "Set model_spec.signature_name to one of them."));
        }

        return signature;
    }

    private static void CheckPredict(IReadOnlyList<(string Name, TensorProto? Tensor)> inputs, SignatureDefinition signature, SignatureCheckOptions options,
        List<WarmupIssue> issues)
    {
        // Sets and maps, not lists: checking stays linear in the number of inputs.
        var modelInputs = new HashSet<string>(signature.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        var byName = new Dictionary<string, SignatureTensor>(StringComparer.Ordinal);
        foreach (var input in signature.Inputs)
        {
            byName.TryAdd(input.Name, input);
        }

        var addressed = new Dictionary<string, string>(StringComparer.Ordinal);
        var symbols = new TensorSymbols();
        foreach (var (name, tensor) in inputs)
        {
            var resolved = InputNames.Resolve(name, modelInputs, options.InputNameMap, signature.Key);
            if (resolved is null)
            {
                issues.Add(Error(WarmupErrorKind.SignatureMismatch, InputNames.DescribeUnknown(name, modelInputs)));
                continue;
            }

            if (addressed.TryGetValue(resolved, out var other))
            {
                issues.Add(Error(WarmupErrorKind.SignatureMismatch, $"inputs \"{other}\" and \"{name}\" both address model input \"{resolved}\". Keep one."));
                continue;
            }

            addressed.Add(resolved, name);
            CheckTensor(name, tensor!, byName[resolved], symbols, issues);
        }

        // Each missing input gets its line, up to a few; the rest are summed up in one.
        const int Listed = 10;
        var missing = signature.Inputs.Where(i => !addressed.ContainsKey(i.Name)).ToList();
        foreach (var input in missing.Take(Listed))
        {
            issues.Add(Error(WarmupErrorKind.SignatureMismatch,
                $"the request lacks model input \"{input.Name}\" ({input.DType} {TensorRules.FormatShape(input.Shape)}) of signature \"{signature.Key}\". Add it."));
        }

        if (missing.Count > Listed)
        {
            issues.Add(Error(WarmupErrorKind.SignatureMismatch,
                $"the request lacks {missing.Count - Listed} more model inputs of signature \"{signature.Key}\" ({InputNames.List(missing.Skip(Listed).Select(i => i.Name))}). Add them."));
        }
    }

    private static void CheckTensor(string name, TensorProto tensor, SignatureTensor expected, TensorSymbols symbols, List<WarmupIssue> issues)
    {
        var what = $"input \"{name}\"";
        var expectedType = DTypes.TryParse(expected.DType, out var dataType) ? DTypes.Get(dataType) : null;
        if (TensorRules.CheckDType(what, tensor.Dtype, expected.Name, expected.DType, expectedType) is { } dtype)
        {
            issues.Add(Error(dtype.ErrorKind, dtype.Message));
        }

        var shape = tensor.TensorShape is { UnknownRank: true } ? null : TensorShapes.FromProto(tensor.TensorShape);
        if (TensorRules.CheckShape(what, shape, expected.Name, expected.Shape, symbols) is { } mismatch)
        {
            issues.Add(Error(mismatch.ErrorKind, mismatch.Message));
        }
    }

    private static void CheckExamples(SignatureFile model, string? requested, string method, WarmupRequestView request, SignatureCheckOptions options,
        List<WarmupIssue> issues)
    {
        if (Find(model, requested, issues) is not { } signature)
        {
            return;
        }

        var singleString = signature.Inputs.Count == 1 && signature.Inputs[0].DType == DTypes.Name(DataType.DtString);
        if (model.Format != "onnx")
        {
            // TF Serving: the signature's method must match, and its one DT_STRING input takes the serialized tf.Examples.
            if (signature.Method != method)
            {
                issues.Add(Error(WarmupErrorKind.SignatureMismatch,
                    $"a {method} record addresses signature \"{signature.Key}\", whose method is {signature.Method}; TF Serving expects tensorflow/serving/{method}. " +
                    $"Use a {method} signature or a predict record."));
            }
            else if (!singleString)
            {
                issues.Add(Error(WarmupErrorKind.SignatureMismatch,
                    $"a {method} record feeds serialized tf.Examples to one DT_STRING input, but signature \"{signature.Key}\" has inputs " +
                    $"{string.Join(", ", signature.Inputs.Select(i => $"{i.Name} {i.DType}"))}. Use a predict record."));
            }

            return;
        }

        // ONNX: a single string input takes the serialized tf.Examples; otherwise each input takes the feature of its name.
        if (singleString)
        {
            return;
        }

        var features = FeaturesOf(request.Examples, request.Context);
        var modelInputs = new HashSet<string>(signature.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        var fed = new Dictionary<string, Feature>(StringComparer.Ordinal);
        foreach (var (name, feature) in features.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (InputNames.Resolve(name, modelInputs, options.InputNameMap, signature.Key) is { } resolved)
            {
                fed.TryAdd(resolved, feature);
            }
        }

        foreach (var modelInput in signature.Inputs)
        {
            if (!fed.TryGetValue(modelInput.Name, out var feature))
            {
                issues.Add(Error(WarmupErrorKind.SignatureMismatch,
                    $"model input \"{modelInput.Name}\" has no feature of that name in the tf.Examples (features: {string.Join(", ", features.Keys.Order(StringComparer.Ordinal).Select(k => $"\"{k}\""))}). " +
                    "Add the feature or use a predict record."));
                continue;
            }

            var dtype = feature.KindCase switch
            {
                Feature.KindOneofCase.FloatList => DTypes.Name(DataType.DtFloat),
                Feature.KindOneofCase.Int64List => DTypes.Name(DataType.DtInt64),
                Feature.KindOneofCase.BytesList => DTypes.Name(DataType.DtString),
                _ => null,
            };
            if (dtype != modelInput.DType)
            {
                issues.Add(Error(WarmupErrorKind.SignatureMismatch,
                    $"feature \"{modelInput.Name}\" is a {feature.KindCase} ({dtype ?? "no values"}) but the model input expects {modelInput.DType}."));
            }
        }
    }

    private static Dictionary<string, Feature> FeaturesOf(IReadOnlyList<Example>? examples, Example? context)
    {
        var features = new Dictionary<string, Feature>(StringComparer.Ordinal);
        foreach (var example in (examples ?? []).Append(context ?? new Example()))
        {
            foreach (var (name, feature) in example.Features?.Feature ?? [])
            {
                features.TryAdd(name, feature);
            }
        }

        return features;
    }

    private static WarmupIssue Error(WarmupErrorKind kind, string message) => new(WarmupIssueSeverity.Error, kind, null, null, message);
}
