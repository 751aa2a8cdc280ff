using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format.Signatures;

/// <summary>What kind of rule a request tensor breaks (see <see cref="TensorRules"/>).</summary>
internal enum TensorMismatchKind
{
    /// <summary>The model input's dtype is one Warmup cannot feed to ONNX Runtime from .NET.</summary>
    UnsupportedDType,

    /// <summary>The request tensor's dtype differs from the model input's.</summary>
    DType,

    /// <summary>The request tensor's rank differs from the model input's (known) rank.</summary>
    Rank,

    /// <summary>A dimension differs from the model input's fixed size.</summary>
    Dimension,

    /// <summary>A symbolic dimension gets a size other than the one another input of the same request gave it.</summary>
    Symbol,
}

/// <summary>One way a request tensor does not fit a model input: the rule it breaks and a message that names both.</summary>
/// <param name="Kind">The rule broken.</param>
/// <param name="Message">What is wrong and how to fix it, without location (callers add the record's).</param>
internal sealed record TensorMismatch(TensorMismatchKind Kind, string Message)
{
    /// <summary>The kind of the finding a signature check reports: an unsupported model dtype, or a signature mismatch.</summary>
    internal WarmupErrorKind ErrorKind => Kind == TensorMismatchKind.UnsupportedDType ? WarmupErrorKind.UnsupportedDtype : WarmupErrorKind.SignatureMismatch;
}

/// <summary>
/// The sizes that the inputs of one request gave to symbolic dimensions (ONNX <c>dim_param</c>), so that a name gets the
/// same size everywhere. Use one instance per request (per session run). Public for generated code only (one per
/// generated request, handed to <see cref="Generated.SampleInput"/>).
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class TensorSymbols
{
    /// <summary>Each symbol's size and the input that gave it first (<see cref="ShapeRule"/> reads and adds).</summary>
    internal Dictionary<string, (long Size, string Input)> Bound { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The one set of rules for a request tensor against a declared model input (dtype, rank, fixed and symbolic dimensions),
/// shared by <see cref="SignatureChecker"/> (signature files) and the runtime (a session's input metadata), which each
/// convert their own metadata to this neutral form and wrap the result in their own error type.
/// </summary>
internal static class TensorRules
{
    /// <summary>Checks a request tensor's dtype against a model input's.</summary>
    /// <param name="what">How the request names the tensor, e.g. <c>input "x"</c>.</param>
    /// <param name="actual">The request tensor's dtype.</param>
    /// <param name="input">The model input's name.</param>
    /// <param name="expectedName">The model input's dtype as declared (a TF dtype name, or the model's own name for a type TF lacks).</param>
    /// <param name="expected">The dtype table's row for it, or <see langword="null"/> when TensorFlow has no such dtype.</param>
    /// <returns>The mismatch (an unsupported model dtype first), or <see langword="null"/> when the dtypes fit.</returns>
    public static TensorMismatch? CheckDType(string what, DataType actual, string input, string expectedName, DTypeInfo? expected)
    {
        ArgumentNullException.ThrowIfNull(what);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(expectedName);
        if (expected is not { IsSupported: true })
        {
            return new TensorMismatch(TensorMismatchKind.UnsupportedDType,
                $"the model's input \"{input}\" has dtype {expectedName}, which ONNX Runtime cannot run from .NET.");
        }

        return actual == expected.DataType
            ? null
            : new TensorMismatch(TensorMismatchKind.DType,
                $"{what} is {DTypes.Name(actual)} but the model's input \"{input}\" takes {expected.Name}. Write the sample as {expected.Name}.");
    }

    /// <summary>
    /// Checks a request tensor's shape against a model input's: the rank when known, every fixed size, and every symbolic
    /// dimension against the size an earlier input of the request gave it (the first size binds the name).
    /// </summary>
    /// <param name="what">How the request names the tensor, e.g. <c>input "x"</c>.</param>
    /// <param name="shape">The request tensor's shape, or <see langword="null"/> when it declares an unknown rank (nothing is checked).</param>
    /// <param name="input">The model input's name.</param>
    /// <param name="expected">The model input's dimensions, or <see langword="null"/> for unknown rank (nothing is checked).</param>
    /// <param name="symbols">The request's symbolic dimension sizes so far; updated.</param>
    /// <returns>The first mismatch, or <see langword="null"/> when the shape fits.</returns>
    public static TensorMismatch? CheckShape(string what, IReadOnlyList<long>? shape, string input, IReadOnlyList<SignatureDimension>? expected,
        TensorSymbols symbols)
    {
        ArgumentNullException.ThrowIfNull(what);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(symbols);
        if (shape is null || expected is null)
        {
            return null;
        }

        var found = ShapeRule.Check(shape, expected, input, symbols.Bound);
        return found.Kind switch
        {
            ShapeMismatchKind.None => null,
            ShapeMismatchKind.Rank => Shape(TensorMismatchKind.Rank, what, shape, input, expected, $"rank {found.Actual} where the model takes rank {found.Expected}"),
            ShapeMismatchKind.Dimension => Shape(TensorMismatchKind.Dimension, what, shape, input, expected,
                $"size {found.Actual} in dimension {found.Axis} where the model takes {found.Expected}"),
            _ => Shape(TensorMismatchKind.Symbol, what, shape, input, expected,
                $"size {found.Actual} for dimension \"{found.Symbol}\", which is {found.Expected} in input \"{found.BoundBy}\""),
        };
    }

    /// <summary>Formats declared dimensions as in messages: <c>[batch,4]</c>, <c>?</c> for an unnamed unknown size.</summary>
    /// <param name="shape">The dimensions, or <see langword="null"/> for unknown rank.</param>
    /// <returns>The text.</returns>
    public static string FormatShape(IReadOnlyList<SignatureDimension>? shape) => ShapeText.Describe(shape);

    private static TensorMismatch Shape(TensorMismatchKind kind, string what, IReadOnlyList<long> shape, string input,
        IReadOnlyList<SignatureDimension> expected, string detail) =>
        new(kind, $"{what} has shape {TensorShapes.Format(shape.ToArray())}: {detail} (model input \"{input}\" is {FormatShape(expected)}). " +
            "Write the sample with the model's shape.");
}
