using Microsoft.CodeAnalysis;
using Warmup.Format;

namespace Warmup.Generator;

/// <summary>Every diagnostic the generator reports. IDs are stable; docs/diagnostics.md has one section per ID.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Warmup";
    // From the build's WarmupRepositoryUrl (Directory.Build.props, the same property as PackageProjectUrl); without
    // one there is no help link. The page itself also ships in the Warmup package (docs/diagnostics.md).
    private static readonly string? HelpBase = RepositoryUrl() is { Length: > 0 } url ? url.TrimEnd('/') + "/blob/main/docs/diagnostics.md#" : null;

    public static readonly DiagnosticDescriptor ModelClassNotPartial = Create(
        "WARMUP0001",
        "Model class must be partial",
        "'{0}' has [WarmupModel] but it or a type containing it is not partial; add the 'partial' modifier so Warmup can generate its inputs types",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SampleNotStatic = Create(
        "WARMUP0002",
        "Sample must be static",
        "Sample '{0}' must be static so that the build can read it without creating an instance; add the 'static' modifier",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SampleInvalidReturnType = Create(
        "WARMUP0003",
        "Sample has the wrong type",
        "Sample '{0}' has type '{1}'; a sample of model '{2}' must be a parameterless member returning one of {3} or an IEnumerable<> of them",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnknownInput = Create(
        "WARMUP0004",
        "Unknown input name",
        "'{0}' has no member '{1}' ({2}){3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MissingInput = Create(
        "WARMUP0005",
        "Missing required input",
        "'{0}' does not set input '{1}' ({2}); every input of signature '{3}' is required",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DTypeMismatch = Create(
        "WARMUP0006",
        "Input dtype mismatch",
        "Input '{0}' is {1} and takes '{2}' elements, but the value has '{3}' elements",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor RankMismatch = Create(
        "WARMUP0007",
        "Input rank mismatch",
        "Input '{0}' has rank {1} (shape {2}), but the value has rank {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor FixedDimensionMismatch = Create(
        "WARMUP0008",
        "Array length contradicts a fixed dimension",
        "Input '{0}' has shape {1}: dimension {2} is fixed at {3}, but the value has {4}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidBatchSize = Create(
        "WARMUP0009",
        "Batch size must be positive",
        "Sample '{0}' has batch size {1}; batch sizes must be greater than 0",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor BatchSizeContradictsFixedDimension = Create(
        "WARMUP0010",
        "Batch size contradicts the signature",
        "Sample '{0}' asks for batch size {1}, but input '{2}' of signature '{3}' {4}; remove the batch size or use {5}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor TooManyRecords = Create(
        "WARMUP0011",
        "More than " + TfServingLimits.MaxRecords.ToString(System.Globalization.CultureInfo.InvariantCulture) + " warmup records",
        "Model '{0}' has at least {1} warmup records ({2}); TensorFlow Serving refuses to load a model whose warmup file has more than " + TfServingLimits.MaxRecords.ToString(System.Globalization.CultureInfo.InvariantCulture) + " records. Reduce samples, batch sizes or iterations.",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DuplicateModelName = Create(
        "WARMUP0012",
        "Duplicate model name",
        "Model name '{0}' is already used by '{1}'; each TF Serving model has one [WarmupModel] class per assembly",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SignatureFileMissing = Create(
        "WARMUP0013",
        "Signature file missing",
        "No '.warmup-signature' file for model '{0}' was passed to the compiler; add <WarmupModel Include=\"path/to/model\" Name=\"{0}\" /> to the project, or declare the inputs with [WarmupInput]",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SignatureFileUnreadable = Create(
        "WARMUP0014",
        "Signature file unreadable",
        "Signature file '{0}' could not be read; rebuild so that the build regenerates it",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SignatureFileInvalid = Create(
        "WARMUP0015",
        "Signature file invalid",
        "Signature file '{0}' is invalid at line {1}: {2}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedDType = Create(
        "WARMUP0016",
        "Unsupported dtype",
        "Input '{0}' of signature '{1}' of model '{2}' has dtype {3}, which Warmup cannot build; no inputs type is generated for signature '{1}'",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor SampleOutsideModel = Create(
        "WARMUP0017",
        "Sample outside a model class",
        "Sample '{0}' is declared in '{1}', which has no [WarmupModel]; move it into the model's class",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidDeclaration = Create(
        "WARMUP0018",
        "Invalid hand-declared signature",
        "{0}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidIterations = Create(
        "WARMUP0019",
        "Iterations must be positive",
        "Sample '{0}' has Iterations = {1}; it must be at least 1",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DuplicateSampleName = Create(
        "WARMUP0020",
        "Duplicate sample name",
        "Model '{0}' already has a sample named '{1}'; give each sample a distinct Name",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor GeneratedNames = Create(
        "WARMUP0021",
        "Generated names",
        "Model '{0}' generates {1}",
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor InternalError = Create(
        "WARMUP0099",
        "Internal generator error",
        "The Warmup generator failed while {0}: {1}. Please report this; the rest of the build is unaffected.",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor[] All =
    {
        ModelClassNotPartial, SampleNotStatic, SampleInvalidReturnType, UnknownInput, MissingInput, DTypeMismatch,
        RankMismatch, FixedDimensionMismatch, InvalidBatchSize, BatchSizeContradictsFixedDimension, TooManyRecords,
        DuplicateModelName, SignatureFileMissing, SignatureFileUnreadable, SignatureFileInvalid, UnsupportedDType,
        SampleOutsideModel, InvalidDeclaration, InvalidIterations, DuplicateSampleName, GeneratedNames, InternalError,
    };

    public static DiagnosticDescriptor? Find(string id)
    {
        foreach (DiagnosticDescriptor descriptor in All)
        {
            if (descriptor.Id == id)
            {
                return descriptor;
            }
        }

        return null;
    }

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity)
        => new DiagnosticDescriptor(id, title, message, Category, severity, isEnabledByDefault: true, helpLinkUri: HelpBase is null ? null : HelpBase + id.ToLowerInvariant());

    private static string? RepositoryUrl()
    {
        foreach (object attribute in typeof(DiagnosticDescriptors).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), inherit: false))
        {
            if (attribute is System.Reflection.AssemblyMetadataAttribute { Key: "WarmupRepositoryUrl" } metadata)
            {
                return metadata.Value;
            }
        }

        return null;
    }
}
