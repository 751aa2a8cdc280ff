using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Warmup.Format;
using Warmup.Format.Signatures;
using Warmup.Format.Tensors;

namespace Warmup.Generator;

/// <summary>
/// Matches a model declaration with its signature (file or hand-declared) and its samples, checks samples against
/// the signature, and produces what to emit plus what to report. Pure function of equatable inputs.
/// </summary>
internal static class Binder
{
    private const string ExampleTypeName = "WarmupExample";
    private const string MultiInferenceTypeName = "MultiInferenceInputs";

    private static readonly string[] InputsMembers = { "SignatureName", "ToPredictRequest", "ToClassificationRequest", "ToRegressionRequest", "ToMultiInferenceRequest", "ToPredictionLog", "Examples", "Context", "Signatures", "GetType", "ToString", "Equals", "GetHashCode", "MemberwiseClone", "Finalize" };

    public static ModelResult Bind(ModelDeclaration model, ImmutableArray<SignatureFileModel> files, string projectDirectory)
    {
        var diagnostics = new List<DiagnosticInfo>(model.Diagnostics);
        if (!model.IsPartial)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelClassNotPartial, model.Location, model.Type.Name));
            return new ModelResult(null, diagnostics.ToEquatableArray());
        }

        if (model.ModelName.Length == 0 || model.Diagnostics.Count > 0)
        {
            return new ModelResult(null, diagnostics.ToEquatableArray());
        }

        List<SignatureModel>? signatures = model.HasDeclaredSignatures
            ? FromDeclarations(model, diagnostics)
            : FromFile(model, files, diagnostics);
        if (signatures is null)
        {
            return new ModelResult(null, diagnostics.ToEquatableArray());
        }

        bool hasExamples = signatures.Any(s => s.Method != "predict");
        var featureNames = new HashSet<string>(StringComparer.Ordinal) { ExampleTypeName, "ToExample", "GetType", "ToString", "Equals", "GetHashCode" };
        var features = new List<FeatureModel>();
        var seenFeatures = new HashSet<string>(StringComparer.Ordinal);
        foreach (DeclaredFeature feature in model.DeclaredFeatures.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            if (feature.Name.Length == 0 || !seenFeatures.Add(feature.Name))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDeclaration, feature.Location, feature.Name.Length == 0 ? "[WarmupFeature] needs a non-empty feature name" : "Feature '" + feature.Name + "' is declared twice"));
                continue;
            }

            features.Add(new FeatureModel(feature.Name, Names.MakeUnique(Names.ToPascal(feature.Name), featureNames), feature.Kind, null));
        }

        var samples = new List<SampleModel>();
        var sampleNames = new HashSet<string>(StringComparer.Ordinal);
        long minimumRecords = 0;
        var recordCounts = new List<string>();
        LocationInfo? overLimit = null;
        var typeNames = signatures.ToDictionary(s => s.InputsTypeName, s => s, StringComparer.Ordinal);
        foreach (SampleDeclaration sample in model.Samples)
        {
            diagnostics.AddRange(sample.Diagnostics);
            CheckInitializers(model, sample, signatures, features, hasExamples, diagnostics);
            if (!sample.IsStatic)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SampleNotStatic, sample.Location, sample.MemberName));
                continue;
            }

            SignatureModel? signature = null;
            bool isMulti = hasExamples && sample.ReturnTypeName == MultiInferenceTypeName;
            if (sample.HasParameters || sample.ReturnTypeName is null || (!isMulti && !typeNames.TryGetValue(sample.ReturnTypeName, out signature)))
            {
                IEnumerable<string> allowed = signatures.Select(s => s.InputsTypeName);
                if (hasExamples)
                {
                    allowed = allowed.Concat(new[] { MultiInferenceTypeName });
                }

                string list = string.Join(", ", allowed.Select(a => "'" + a + "'"));
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SampleInvalidReturnType, sample.Location, sample.MemberName, sample.ReturnTypeDisplay, model.ModelName, list.Length == 0 ? "(no inputs types: the model has no usable signature)" : list));
                continue;
            }

            bool valid = true;
            foreach (int batch in sample.BatchSizes)
            {
                if (batch <= 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBatchSize, sample.BatchSizesLocation, sample.Name, batch));
                    valid = false;
                }
                else if (signature is not null && signature.Method == "predict")
                {
                    string? problem = BatchProblem(signature, batch, out InputModel? culprit);
                    if (problem is not null)
                    {
                        string use = culprit is { Rank: > 0 } && culprit.Dims[0] >= 0 ? "BatchSizes = new[] { " + culprit.Dims[0].ToString(CultureInfo.InvariantCulture) + " }" : "no BatchSizes";
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BatchSizeContradictsFixedDimension, sample.BatchSizesLocation, sample.Name, batch, culprit?.Name ?? "(none)", signature.Key, problem, use));
                        valid = false;
                    }
                }
            }

            if (sample.Iterations <= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidIterations, sample.Location, sample.Name, sample.Iterations));
                valid = false;
            }

            if (!sampleNames.Add(sample.Name))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateSampleName, sample.Location, model.ModelName, sample.Name));
                valid = false;
            }

            if (!valid)
            {
                continue;
            }

            if (sample.StaticCount > 0)
            {
                long records = (long)sample.StaticCount * Math.Max(1, sample.BatchSizes.Count) * sample.Iterations;
                minimumRecords += records;
                recordCounts.Add(sample.Name + ": " + records.ToString(CultureInfo.InvariantCulture));
                // WARMUP0011 points at the sample that takes the model past the limit.
                if (minimumRecords > TfServingLimits.MaxRecords && overLimit is null)
                {
                    overLimit = sample.Location;
                }
            }

            samples.Add(new SampleModel(
                sample.MemberName,
                sample.Kind,
                isMulti ? string.Empty : signature!.Key,
                sample.BatchSizes,
                sample.Iterations,
                sample.Name,
                Relative(sample.FilePath, projectDirectory),
                sample.Line));
        }

        if (minimumRecords > TfServingLimits.MaxRecords)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooManyRecords, overLimit ?? model.Location, model.ModelName, minimumRecords, string.Join(", ", recordCounts)));
        }

        var unit = new ModelUnit(
            model.Type,
            model.ModelName,
            signatures.ToEquatableArray(),
            features.ToEquatableArray(),
            ExampleTypeName,
            MultiInferenceTypeName,
            samples.ToEquatableArray());
        DiagnosticInfo names = DiagnosticInfo.Create(DiagnosticDescriptors.GeneratedNames, model.AttributeLocation, model.ModelName, GeneratedNames.Describe(unit));
        return new ModelResult(unit, diagnostics.ToEquatableArray(), names);
    }

    /// <summary>Checks that span models: duplicate model names, samples outside models, broken signature files.</summary>
    public static EquatableArray<DiagnosticInfo> CheckAssembly(ImmutableArray<ModelIdentity> models, ImmutableArray<EquatableArray<DiagnosticInfo>> samplesOutsideModels, ImmutableArray<SignatureFileModel> files)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var firstByName = new Dictionary<string, ModelIdentity>(StringComparer.Ordinal);
        foreach (ModelIdentity model in models.OrderBy(m => m.FullName, StringComparer.Ordinal))
        {
            if (model.ModelName.Length == 0)
            {
                continue;
            }

            if (firstByName.TryGetValue(model.ModelName, out ModelIdentity? first))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateModelName, model.Location, model.ModelName, first.FullName.Replace("global::", string.Empty)));
            }
            else
            {
                firstByName.Add(model.ModelName, model);
            }
        }

        foreach (EquatableArray<DiagnosticInfo> outside in samplesOutsideModels)
        {
            diagnostics.AddRange(outside);
        }

        foreach (SignatureFileModel file in files)
        {
            if (file.Error is not null)
            {
                diagnostics.Add(file.Error);
            }
        }

        return diagnostics.ToEquatableArray();
    }

    private static List<SignatureModel>? FromFile(ModelDeclaration model, ImmutableArray<SignatureFileModel> files, List<DiagnosticInfo> diagnostics)
    {
        SignatureFileModel? file = files
            .Where(f => f.ModelName == model.ModelName)
            .OrderBy(f => f.Error is null ? 0 : 1)
            .ThenBy(f => f.Path, StringComparer.Ordinal)
            .FirstOrDefault();
        if (file is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SignatureFileMissing, model.Location, model.ModelName));
            return null;
        }

        if (file.Error is not null)
        {
            // Reported once, at the file, by CheckAssembly.
            return null;
        }

        var used = NewTypeNameScope(model);
        var result = new List<SignatureModel>();
        foreach (SignatureFileSignature signature in file.Signatures)
        {
            var inputs = new List<InputModel>();
            var propertyNames = new HashSet<string>(InputsMembers, StringComparer.Ordinal);
            string inputsTypeName = Names.MakeUnique(Names.ToPascal(signature.Key) + "Inputs", used);
            propertyNames.Add(inputsTypeName);
            bool supported = true;
            foreach (SignatureFileInput input in signature.Inputs)
            {
                string? element = DTypeMap.ElementType(input.DType);
                if (element is null)
                {
                    if (signature.Method == "predict")
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDType, LocationInfo.ForFileLine(file.Path, input.Line), input.Name, signature.Key, model.ModelName, input.DType));
                        supported = false;
                    }

                    continue;
                }

                inputs.Add(new InputModel(input.Name, Names.MakeUnique(Names.ToPascal(input.Name), propertyNames), input.DType, element, input.UnknownRank ? -1 : input.Dims.Count, input.Dims, input.Line, Symbols: input.Symbols));
            }

            if (supported)
            {
                result.Add(new SignatureModel(signature.Key, signature.Method, inputsTypeName, WithBytesProperties(inputs, propertyNames), signature.Line));
            }
            else
            {
                used.Remove(inputsTypeName);
            }
        }

        return result;
    }

    private static List<SignatureModel>? FromDeclarations(ModelDeclaration model, List<DiagnosticInfo> diagnostics)
    {
        var used = NewTypeNameScope(model);
        var keys = new List<string>();
        var methods = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DeclaredSignature signature in model.DeclaredSignatures)
        {
            if (signature.Key.Length == 0 || methods.ContainsKey(signature.Key))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDeclaration, signature.Location, signature.Key.Length == 0 ? "[WarmupSignature] needs a non-empty signature key" : "Signature '" + signature.Key + "' is declared twice"));
                continue;
            }

            methods.Add(signature.Key, signature.Method);
            keys.Add(signature.Key);
        }

        foreach (DeclaredInput input in model.DeclaredInputs)
        {
            if (!methods.ContainsKey(input.Signature))
            {
                methods.Add(input.Signature, "predict");
                keys.Add(input.Signature);
            }
        }

        var result = new List<SignatureModel>();
        foreach (string key in keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            string method = methods[key];
            string inputsTypeName = Names.MakeUnique(Names.ToPascal(key) + "Inputs", used);
            var propertyNames = new HashSet<string>(InputsMembers, StringComparer.Ordinal) { inputsTypeName };
            var names = new HashSet<string>(StringComparer.Ordinal);
            var inputs = new List<InputModel>();
            bool supported = true;
            foreach (DeclaredInput input in model.DeclaredInputs.Where(i => i.Signature == key))
            {
                if (method != "predict")
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDeclaration, input.Location, "Signature '" + key + "' is " + method + ": it takes tf.Examples, so declare [WarmupFeature]s instead of [WarmupInput]s"));
                    continue;
                }

                if (input.Name.Length == 0 || !names.Add(input.Name))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDeclaration, input.Location, input.Name.Length == 0 ? "[WarmupInput] needs a non-empty input name" : "Input '" + input.Name + "' of signature '" + key + "' is declared twice"));
                    continue;
                }

                if (input.Dims.Any(d => d < -1))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDeclaration, input.Location, "Input '" + input.Name + "' has a dimension below -1; use a size or -1 for any size"));
                    continue;
                }

                string? element = DTypeMap.ElementType(input.DType);
                if (element is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedDType, input.Location, input.Name, key, model.ModelName, input.DType));
                    supported = false;
                    continue;
                }

                inputs.Add(new InputModel(input.Name, Names.MakeUnique(Names.ToPascal(input.Name), propertyNames), input.DType, element, input.UnknownRank ? -1 : input.Dims.Count, input.UnknownRank ? EquatableArray<long>.Empty : input.Dims, 0));
            }

            if (supported)
            {
                result.Add(new SignatureModel(key, method, inputsTypeName, WithBytesProperties(inputs, propertyNames), 0));
            }
        }

        return result;
    }

    /// <summary>Why <paramref name="batch"/> cannot apply: an input fixes dimension 0 to another size, or no input has a batch dimension.</summary>
    private static string? BatchProblem(SignatureModel signature, int batch, out InputModel? culprit)
    {
        culprit = null;
        foreach (InputModel input in signature.Inputs)
        {
            if (input.Rank > 0 && input.Dims[0] >= 0 && input.Dims[0] != batch)
            {
                culprit = input;
                return "has a fixed first dimension of " + input.Dims[0].ToString(CultureInfo.InvariantCulture);
            }
        }

        if (!signature.Inputs.Any(i => i.Rank < 0 || (i.Rank > 0 && i.Dims[0] < 0)) && !signature.Inputs.Any(i => i.Rank > 0 && i.Dims[0] == batch))
        {
            culprit = signature.Inputs.Count > 0 ? signature.Inputs[0] : null;
            return "has no batch dimension (no input has a variable first dimension)";
        }

        return null;
    }

    /// <summary>
    /// DT_STRING inputs of rank 0 or 1 (or unknown rank) also get a binary-safe <c>…Bytes</c> property; named after
    /// every plain property so that adding one never renames another.
    /// </summary>
    private static EquatableArray<InputModel> WithBytesProperties(List<InputModel> inputs, HashSet<string> propertyNames)
        => inputs
            .Select(i => i.ElementType == "string" && i.Rank <= 1 ? i with { BytesPropertyName = Names.MakeUnique(i.PropertyName.TrimStart('@') + "Bytes", propertyNames) } : i)
            .ToEquatableArray();

    private static HashSet<string> NewTypeNameScope(ModelDeclaration model)
        => new HashSet<string>(StringComparer.Ordinal) { ExampleTypeName, MultiInferenceTypeName, "WarmupModelName", "CreateWarmupLogs", StripTypeParameters(model.Type.Name) };

    private static string StripTypeParameters(string name)
    {
        int index = name.IndexOf('<');
        return index < 0 ? name : name.Substring(0, index);
    }

    private static void CheckInitializers(ModelDeclaration model, SampleDeclaration sample, List<SignatureModel> signatures, List<FeatureModel> features, bool hasExamples, List<DiagnosticInfo> diagnostics)
    {
        foreach (InitializerInfo initializer in sample.Initializers)
        {
            SignatureModel? signature = signatures.FirstOrDefault(s => s.InputsTypeName == initializer.TypeName);
            if (signature is not null && signature.Method == "predict")
            {
                var assigned = new HashSet<string>(StringComparer.Ordinal);
                // An input a misspelled name's "did you mean" points at is not reported missing too: one error per typo.
                var suggested = new HashSet<string>(StringComparer.Ordinal);
                foreach (AssignmentInfo assignment in initializer.Assignments)
                {
                    assigned.Add(assignment.Name);
                    InputModel? input = signature.Inputs.FirstOrDefault(i => i.PropertyName == assignment.Name);
                    if (input is null)
                    {
                        if (!signature.Inputs.Any(i => i.BytesPropertyName == assignment.Name))
                        {
                            IEnumerable<string> names = signature.Inputs.Select(i => i.PropertyName).Concat(signature.Inputs.Where(i => i.BytesPropertyName is not null).Select(i => i.BytesPropertyName!));
                            suggested.Add(ReportUnknown(initializer.TypeName, assignment, names, "signature '" + signature.Key + "' of model '" + model.ModelName + "'", diagnostics) ?? string.Empty);
                        }

                        continue;
                    }

                    CheckValue(input, assignment, diagnostics);
                }

                foreach (InputModel input in signature.Inputs)
                {
                    if (!assigned.Contains(input.PropertyName) && (input.BytesPropertyName is null || !assigned.Contains(input.BytesPropertyName))
                        && !suggested.Contains(input.PropertyName) && (input.BytesPropertyName is null || !suggested.Contains(input.BytesPropertyName)))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInput, initializer.Location, initializer.TypeName, input.PropertyName, Describe(input), signature.Key));
                    }
                }
            }
            else if (signature is not null || (hasExamples && initializer.TypeName == MultiInferenceTypeName))
            {
                string[] members = signature is null ? new[] { "Signatures", "Examples", "Context" } : new[] { "Examples", "Context" };
                bool examplesSuggested = false;
                foreach (AssignmentInfo assignment in initializer.Assignments)
                {
                    if (Array.IndexOf(members, assignment.Name) < 0)
                    {
                        examplesSuggested |= ReportUnknown(initializer.TypeName, assignment, members, "tf.Example inputs", diagnostics) == "Examples";
                    }
                }

                if (!examplesSuggested && !initializer.Assignments.Any(a => a.Name == "Examples"))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInput, initializer.Location, initializer.TypeName, "Examples", "the tf.Examples to send", signature?.Key ?? "multi-inference"));
                }
            }
            else if (hasExamples && initializer.TypeName == ExampleTypeName)
            {
                foreach (AssignmentInfo assignment in initializer.Assignments)
                {
                    if (!features.Any(f => f.PropertyName == assignment.Name))
                    {
                        // A tf.Example's features are not in the signature (its input is a serialized string): they are
                        // declared on the model class, which nothing else would tell a first-time user.
                        string hint = " declare a feature on the model class with [WarmupFeature(\"" + assignment.Name.ToLowerInvariant() + "\", WarmupFeatureType.Float)] (or Int64, Bytes, String) to give WarmupExample a '" + assignment.Name + "' property";
                        ReportUnknown(initializer.TypeName, assignment, features.Select(f => f.PropertyName), "declared tf.Example features", diagnostics, hint);
                    }
                }
            }
        }
    }

    /// <summary>Reports WARMUP0004 and returns the name it suggests, if any.</summary>
    private static string? ReportUnknown(string typeName, AssignmentInfo assignment, IEnumerable<string> candidates, string what, List<DiagnosticInfo> diagnostics, string? hint = null)
    {
        string? closest = Names.Closest(assignment.Name, candidates);
        string suggestion = closest is null ? string.Empty : "; did you mean '" + closest + "'?";
        if (hint is not null && closest is null)
        {
            suggestion = ";" + hint;
        }

        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownInput, assignment.NameLocation, typeName, assignment.Name, what, suggestion));
        return closest;
    }

    private static void CheckValue(InputModel input, AssignmentInfo value, List<DiagnosticInfo> diagnostics)
    {
        string expectedElement = DTypeMap.ShortName(input.ElementType);
        if (value.ElementType is not null && value.ElementType != expectedElement)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DTypeMismatch, value.ValueLocation, input.Name, input.DType, expectedElement, value.ElementType));
            return;
        }

        if (value.Rank < 0)
        {
            return;
        }

        if (input.Rank < 0)
        {
            // An input of unknown rank is a one-dimensional array property (docs/generator.md); its shape is the record's.
            if (value.Rank != 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RankMismatch, value.ValueLocation, input.Name, 1, Shape(input), value.Rank));
            }

            return;
        }

        // Format's shape rule, on what the compiler can see: a length that is not a literal is taken to fit (the generated
        // code checks it when it runs), and symbols are bound across inputs at run time only.
        var declared = input.Dims.Select(d => d >= 0 ? SignatureDimension.Fixed(d) : SignatureDimension.Unknown).ToArray();
        var lengths = new long[value.Rank];
        for (int d = 0; d < lengths.Length; d++)
        {
            long fitting = d < declared.Length && declared[d].IsFixed ? declared[d].Size : 0;
            lengths[d] = d < value.Lengths.Count && value.Lengths[d] >= 0 ? value.Lengths[d] : fitting;
        }

        ShapeMismatch found = ShapeRule.Check(lengths, declared, input.Name, symbols: null);
        if (found.Kind == ShapeMismatchKind.Rank)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RankMismatch, value.ValueLocation, input.Name, input.Rank, Shape(input), value.Rank));
        }
        else if (found.Kind == ShapeMismatchKind.Dimension)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FixedDimensionMismatch, value.ValueLocation, input.Name, Shape(input), found.Axis, found.Expected, found.Actual));
        }
    }

    public static string Shape(InputModel input) => input.Rank < 0 ? ShapeText.UnknownRank : ShapeText.Format(input.Dims);

    private static string Describe(InputModel input) => input.DType + " " + Shape(input);

    private static string Relative(string path, string projectDirectory)
    {
        if (projectDirectory.Length > 0 && path.StartsWith(projectDirectory, StringComparison.Ordinal))
        {
            return path.Substring(projectDirectory.Length).TrimStart('/', '\\').Replace('\\', '/');
        }

        return path.Replace('\\', '/');
    }
}
