// The one shape rule for a tensor against a declared model input. Plain C# for netstandard2.0 with no dependency beyond
// the BCL: Warmup.Format compiles it (TensorRules: signature files, replay, generated code at run time), and the source
// generator links it (its compile-time diagnostics for array literals), so both judge a shape the same way.
using System.Collections.Generic;

namespace Warmup.Format.Signatures;

/// <summary>Which part of a shape breaks the rule (see <see cref="ShapeRule"/>).</summary>
internal enum ShapeMismatchKind
{
    /// <summary>The shape fits.</summary>
    None,

    /// <summary>The rank differs from the input's.</summary>
    Rank,

    /// <summary>A size differs from the input's fixed size.</summary>
    Dimension,

    /// <summary>A symbolic dimension gets a size other than the one an earlier input of the same request gave it.</summary>
    Symbol,
}

/// <summary>The first place a shape breaks the rule: for <see cref="ShapeMismatchKind.Rank"/> the ranks, otherwise the axis,
/// the size the input takes there (for a symbol, the size already bound, and the input that bound it) and the size given.</summary>
internal readonly record struct ShapeMismatch(ShapeMismatchKind Kind, int Axis, long Expected, long Actual, string? Symbol = null, string? BoundBy = null);

/// <summary>
/// A shape fits a declared input when the ranks agree, every fixed size matches, and every symbolic dimension
/// (ONNX <c>dim_param</c>) gets one size across a request's inputs (the first input to give it a size binds it).
/// Checked axis by axis, so the first mismatch is the one reported.
/// </summary>
internal static class ShapeRule
{
    /// <summary>Finds the first place <paramref name="shape"/> breaks <paramref name="declared"/>.</summary>
    /// <param name="shape">The sizes given.</param>
    /// <param name="declared">The input's dimensions (known rank).</param>
    /// <param name="input">The input's name, recorded as what binds a symbol.</param>
    /// <param name="symbols">The request's symbol sizes so far, updated; <see langword="null"/> checks no symbols.</param>
    public static ShapeMismatch Check(IReadOnlyList<long> shape, IReadOnlyList<SignatureDimension> declared, string input,
        Dictionary<string, (long Size, string Input)>? symbols)
    {
        if (shape.Count != declared.Count)
        {
            return new ShapeMismatch(ShapeMismatchKind.Rank, -1, declared.Count, shape.Count);
        }

        for (int axis = 0; axis < shape.Count; axis++)
        {
            long size = shape[axis];
            SignatureDimension dim = declared[axis];
            if (dim.IsFixed)
            {
                if (dim.Size != size)
                {
                    return new ShapeMismatch(ShapeMismatchKind.Dimension, axis, dim.Size, size);
                }
            }
            else if (symbols != null && dim.Symbol is { } symbol)
            {
                if (symbols.TryGetValue(symbol, out (long Size, string Input) bound))
                {
                    if (bound.Size != size)
                    {
                        return new ShapeMismatch(ShapeMismatchKind.Symbol, axis, bound.Size, size, symbol, bound.Input);
                    }
                }
                else
                {
                    symbols.Add(symbol, (size, input));
                }
            }
        }

        return default;
    }
}
