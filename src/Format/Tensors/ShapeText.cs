// The one shape formatter. Plain C# that compiles for netstandard2.0 with no dependency beyond the BCL: Warmup.Format
// compiles it, and the source generator links it (with SignatureText.cs, which writes shapes through it).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Warmup.Format.Signatures;

namespace Warmup.Format.Tensors;

/// <summary>Shapes as text: <c>[d0,d1,…]</c>, in messages, signature files and generated diagnostics alike.</summary>
internal static class ShapeText
{
    /// <summary>An unknown rank, as signature files and the generator write it.</summary>
    public const string UnknownRank = "*";

    /// <summary>Sizes as <c>[4,1]</c> (an unknown size is <c>-1</c>), or <see cref="UnknownRank"/> when <paramref name="dims"/> is null.</summary>
    public static string Format(IEnumerable<long>? dims) =>
        dims == null ? UnknownRank : Join(dims, d => d.ToString(CultureInfo.InvariantCulture));

    /// <summary>Declared dimensions as a signature file writes them: <c>[batch,-1,4]</c> (symbols percent-encoded), or <see cref="UnknownRank"/>.</summary>
    public static string Format(IReadOnlyList<SignatureDimension>? dims) =>
        dims == null ? UnknownRank : Join(dims, d => d.ToString());

    /// <summary>Declared dimensions as messages show them: <c>[batch,?,4]</c> (<c>?</c> for an unnamed unknown size), or <c>unknown rank</c>.</summary>
    public static string Describe(IReadOnlyList<SignatureDimension>? dims) =>
        dims == null ? "unknown rank" : Join(dims, d => d.Symbol ?? (d.IsFixed ? d.Size.ToString(CultureInfo.InvariantCulture) : "?"));

    private static string Join<T>(IEnumerable<T> dims, Func<T, string> text)
    {
        var builder = new StringBuilder("[");
        foreach (T dim in dims)
        {
            if (builder.Length > 1)
            {
                builder.Append(',');
            }

            builder.Append(text(dim));
        }

        return builder.Append(']').ToString();
    }
}
