using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Warmup.Format.Signatures;

namespace Warmup.Generator;

/// <summary>
/// Generates typed inputs types and PredictionLog builders for [WarmupModel] classes, checked against the model's
/// signature, and one sample manifest per assembly. Source and diagnostics flow through separate pipelines so that
/// source output stays cached while diagnostics keep real, pragma-suppressible locations.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class WarmupGenerator : IIncrementalGenerator
{
    /// <summary>Names of the tracked pipeline steps (for incrementality tests).</summary>
    public static class Steps
    {
        /// <summary>[WarmupModel] classes as declared, each with its [WarmupSample] members.</summary>
        public const string ModelDeclarations = nameof(ModelDeclarations);

        /// <summary>Per type declaration with members named like [WarmupSample]: WARMUP0017 for those outside a model.</summary>
        public const string SamplesOutsideModels = nameof(SamplesOutsideModels);

        /// <summary>Every sample outside a model, collected.</summary>
        public const string AllSamplesOutsideModels = nameof(AllSamplesOutsideModels);

        /// <summary>Parsed .warmup-signature files.</summary>
        public const string SignatureFiles = nameof(SignatureFiles);

        /// <summary>Every signature file, collected.</summary>
        public const string AllSignatureFiles = nameof(AllSignatureFiles);

        /// <summary>Every model's name, type and location, collected.</summary>
        public const string AllModels = nameof(AllModels);

        /// <summary>The project directory (for relative sample paths).</summary>
        public const string ProjectDirectory = nameof(ProjectDirectory);

        /// <summary>Each model bound to its signature and samples.</summary>
        public const string ModelResults = nameof(ModelResults);

        /// <summary>What each model generates.</summary>
        public const string ModelUnits = nameof(ModelUnits);

        /// <summary>Manifest lines, collected.</summary>
        public const string ManifestEntries = nameof(ManifestEntries);

        /// <summary>Per model, WARMUP0021: the names it generates.</summary>
        public const string GeneratedNames = nameof(GeneratedNames);

        /// <summary>Per-model diagnostics.</summary>
        public const string ModelDiagnostics = nameof(ModelDiagnostics);

        /// <summary>Cross-model diagnostics.</summary>
        public const string AssemblyDiagnostics = nameof(AssemblyDiagnostics);

        /// <summary>All diagnostics, sorted.</summary>
        public const string Diagnostics = nameof(Diagnostics);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Roslyn re-runs the transform of every match on every compilation change, so samples are not matched one by one:
        // each model's transform reads its samples from its declarations' syntax (SampleScanner), O(models) per edit.
        IncrementalValuesProvider<ModelDeclaration> models = context.SyntaxProvider
            .ForAttributeWithMetadataName(AttributeNames.ModelAttribute, Parser.IsModelCandidate, static (ctx, ct) => Guard.ParseModel(ctx, ct))
            .WithTrackingName(Steps.ModelDeclarations)
            .Where(static model => model is not null)
            .Select(static (model, _) => model!);

        // Samples outside any model (WARMUP0017): the per-tree cached predicate matches only type declarations with
        // members named like [WarmupSample], so the transform runs for model classes and such rare types only.
        IncrementalValueProvider<ImmutableArray<EquatableArray<DiagnosticInfo>>> samplesOutsideModels = context.SyntaxProvider
            .CreateSyntaxProvider(SampleScanner.HasSampleNamedMember, static (ctx, ct) => Guard.ReadSamplesOutsideModels(ctx, ct))
            .WithTrackingName(Steps.SamplesOutsideModels)
            .Collect()
            .WithTrackingName(Steps.AllSamplesOutsideModels);

        IncrementalValuesProvider<SignatureFileModel> signatureFiles = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(SignatureText.FileExtension, StringComparison.OrdinalIgnoreCase))
            .Select(static (text, ct) => Guard.ParseSignatureFile(text, ct))
            .WithTrackingName(Steps.SignatureFiles);

        IncrementalValueProvider<ImmutableArray<SignatureFileModel>> allSignatureFiles = signatureFiles.Collect()
            .Select(static (files, _) => files.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path)))
            .WithTrackingName(Steps.AllSignatureFiles);
        IncrementalValueProvider<ImmutableArray<ModelIdentity>> allModels = models
            .Select(static (model, _) => new ModelIdentity(model.ModelName, model.Type.FullName, model.Location))
            .Collect()
            .WithTrackingName(Steps.AllModels);
        IncrementalValueProvider<string> projectDirectory = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.ProjectDir", out string? dir) && dir is not null ? dir : string.Empty)
            .WithTrackingName(Steps.ProjectDirectory);

        IncrementalValuesProvider<ModelResult> results = models
            .Combine(allSignatureFiles)
            .Combine(projectDirectory)
            .Select(static (input, ct) => Guard.Bind(input.Left.Left, input.Left.Right, input.Right))
            .WithTrackingName(Steps.ModelResults);

        // Source pipeline: only the equatable generation model, so a diagnostic-only change regenerates nothing.
        IncrementalValuesProvider<ModelUnit> units = results
            .Where(static result => result.Unit is not null)
            .Select(static (result, _) => result.Unit!)
            .WithTrackingName(Steps.ModelUnits);
        context.RegisterSourceOutput(units, static (spc, unit) => Guard.Emit(spc, "emitting model '" + unit.ModelName + "'", Emitter.HintName(unit), () => Emitter.EmitModel(unit)));

        IncrementalValueProvider<ImmutableArray<ManifestEntry>> manifest = units
            .Select(static (unit, _) => new ManifestEntry(unit.ModelName, unit.Type.FullName, unit.Samples.Select(s => new ManifestSample(s.Name, s.FilePath, s.Line)).ToEquatableArray()))
            .Collect()
            .Select(static (entries, _) => entries.Sort(CompareEntries))
            .WithTrackingName(Steps.ManifestEntries);
        context.RegisterSourceOutput(manifest, static (spc, entries) =>
        {
            if (entries.Any(e => e.Samples.Count > 0))
            {
                Guard.Emit(spc, "emitting the sample manifest", Emitter.ManifestHintName, () => Emitter.EmitManifest(entries));
            }
        });

        // WARMUP0021 (Info) per model, apart from the diagnostics below: its location carries its lines, so reporting it
        // needs no Compilation and an unchanged model's info stays cached (the IDE and build log still show it).
        IncrementalValuesProvider<DiagnosticInfo> generatedNames = results
            .Where(static result => result.GeneratedNames is not null)
            .Select(static (result, _) => result.GeneratedNames!)
            .WithTrackingName(Steps.GeneratedNames);
        context.RegisterSourceOutput(generatedNames, static (spc, info) => ReportWithoutTree(spc, info));

        // Diagnostics pipeline (like LoggerMessage's): equatable DiagnosticInfo until the very end, where the
        // locations are rebuilt against the syntax trees so that #pragma warning disable applies to them.
        IncrementalValueProvider<ImmutableArray<EquatableArray<DiagnosticInfo>>> modelDiagnostics = results
            .Select(static (result, _) => result.Diagnostics)
            .Collect()
            .WithTrackingName(Steps.ModelDiagnostics);
        IncrementalValueProvider<EquatableArray<DiagnosticInfo>> assemblyDiagnostics = allModels
            .Combine(samplesOutsideModels)
            .Combine(allSignatureFiles)
            .Select(static (input, _) => Guard.CheckAssembly(input.Left.Left, input.Left.Right, input.Right))
            .WithTrackingName(Steps.AssemblyDiagnostics);
        IncrementalValueProvider<EquatableArray<DiagnosticInfo>> diagnostics = modelDiagnostics
            .Combine(assemblyDiagnostics)
            .Select(static (input, _) => Sort(input.Left.SelectMany(d => d).Concat(input.Right)))
            .WithTrackingName(Steps.Diagnostics);

        // Deliberately untracked: it pairs the diagnostics with the Compilation to find each syntax tree, and is the leaf.
        context.RegisterSourceOutput(diagnostics.Combine(context.CompilationProvider), static (spc, input) => Report(spc, input.Left, input.Right));
    }

    private static int CompareEntries(ManifestEntry a, ManifestEntry b)
    {
        int byModel = string.CompareOrdinal(a.ModelName, b.ModelName);
        return byModel != 0 ? byModel : string.CompareOrdinal(a.TypeFullName, b.TypeFullName);
    }

    private static EquatableArray<DiagnosticInfo> Sort(IEnumerable<DiagnosticInfo> diagnostics)
        => diagnostics
            .Distinct()
            .OrderBy(d => d.Location?.FilePath ?? string.Empty, StringComparer.Ordinal)
            .ThenBy(d => d.Location?.Start ?? 0)
            .ThenBy(d => d.Id, StringComparer.Ordinal)
            .ThenBy(d => string.Join("\u0001", d.Arguments), StringComparer.Ordinal)
            .ToEquatableArray();

    private static void Report(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics, Compilation compilation)
    {
        if (diagnostics.Count == 0)
        {
            return;
        }

        try
        {
            var trees = new Dictionary<string, SyntaxTree>(StringComparer.Ordinal);
            foreach (SyntaxTree tree in compilation.SyntaxTrees)
            {
                if (!trees.ContainsKey(tree.FilePath))
                {
                    trees.Add(tree.FilePath, tree);
                }
            }

            foreach (DiagnosticInfo info in diagnostics)
            {
                DiagnosticDescriptor descriptor = DiagnosticDescriptors.Find(info.Id) ?? DiagnosticDescriptors.InternalError;
                Location location = Location.None;
                if (info.Location is { } where)
                {
                    location = trees.TryGetValue(where.FilePath, out SyntaxTree? tree) && where.Start + where.Length <= tree.Length
                        ? Location.Create(tree, where.Span)
                        : Location.Create(where.FilePath, where.Span, where.LineSpan);
                }

                context.ReportDiagnostic(Diagnostic.Create(descriptor, location, info.Arguments.Cast<object>().ToArray()));
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, "reporting diagnostics", exception.Message));
        }
    }

    private static void ReportWithoutTree(SourceProductionContext context, DiagnosticInfo info)
    {
        DiagnosticDescriptor descriptor = DiagnosticDescriptors.Find(info.Id) ?? DiagnosticDescriptors.InternalError;
        Location location = info.Location is { } where ? Location.Create(where.FilePath, where.Span, where.LineSpan) : Location.None;
        context.ReportDiagnostic(Diagnostic.Create(descriptor, location, info.Arguments.Cast<object>().ToArray()));
    }

    /// <summary>Runs each stage so that an unexpected exception becomes WARMUP0099 instead of failing the build (CS8785).</summary>
    private static class Guard
    {
        public static ModelDeclaration? ParseModel(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            try
            {
                // [WarmupModel] on several partial declarations of one class (the compiler reports CS0579): one model,
                // from the declaration with the first attribute, so generated names stay unique (never CS8785).
                return Parser.IsFirstModelDeclaration(context) ? Parser.ParseModel(context, cancellationToken) : null;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                var type = new TypeInfo(string.Empty, EquatableArray<ContainingTypeInfo>.Empty, context.TargetSymbol.Name, "class", context.TargetSymbol.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
                DiagnosticInfo error = Internal("reading model class '" + context.TargetSymbol.Name + "'", exception, LocationInfo.From(context.TargetNode.GetLocation()));
                return new ModelDeclaration(type, string.Empty, true, false, EquatableArray<DeclaredInput>.Empty, EquatableArray<DeclaredSignature>.Empty, EquatableArray<DeclaredFeature>.Empty, EquatableArray<SampleDeclaration>.Empty, error.Location, new[] { error }.ToEquatableArray());
            }
        }

        public static EquatableArray<DiagnosticInfo> ReadSamplesOutsideModels(GeneratorSyntaxContext context, CancellationToken cancellationToken)
        {
            try
            {
                return SampleScanner.ReadSamplesOutsideModels(context, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return new[] { Internal("looking for samples outside model classes", exception, LocationInfo.From(context.Node.GetLocation())) }.ToEquatableArray();
            }
        }

        public static SignatureFileModel ParseSignatureFile(AdditionalText text, CancellationToken cancellationToken)
        {
            try
            {
                return Parser.ParseSignatureFile(text.Path, text.GetText(cancellationToken)?.ToString());
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return new SignatureFileModel(text.Path, null, EquatableArray<SignatureFileSignature>.Empty, Internal("reading '" + text.Path + "'", exception, LocationInfo.ForFileLine(text.Path, 1)));
            }
        }

        public static ModelResult Bind(ModelDeclaration model, ImmutableArray<SignatureFileModel> files, string projectDirectory)
        {
            try
            {
                return Binder.Bind(model, files, projectDirectory);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return new ModelResult(null, new[] { Internal("checking model '" + model.ModelName + "'", exception, model.Location) }.ToEquatableArray());
            }
        }

        public static EquatableArray<DiagnosticInfo> CheckAssembly(ImmutableArray<ModelIdentity> models, ImmutableArray<EquatableArray<DiagnosticInfo>> samplesOutsideModels, ImmutableArray<SignatureFileModel> files)
        {
            try
            {
                return Binder.CheckAssembly(models, samplesOutsideModels, files);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return new[] { Internal("checking the assembly's models", exception, null) }.ToEquatableArray();
            }
        }

        public static void Emit(SourceProductionContext context, string what, string hintName, Func<string> emit)
        {
            try
            {
                context.AddSource(hintName, SourceText.From(emit(), System.Text.Encoding.UTF8));
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, what, exception.Message));
            }
        }

        private static DiagnosticInfo Internal(string what, Exception exception, LocationInfo? location)
            => DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, location, what, exception.GetType().Name + ": " + exception.Message);
    }
}
