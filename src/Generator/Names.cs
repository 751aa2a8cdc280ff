using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;
using Warmup.Format.Tensors;

namespace Warmup.Generator;

/// <summary>Turns TF names into C# identifiers and finds the closest name for suggestions.</summary>
internal static class Names
{
    /// <summary><c>serving_default</c> → <c>ServingDefault</c>; anything not a letter or digit separates words.</summary>
    public static string ToPascal(string name)
    {
        var builder = new StringBuilder(name.Length);
        bool upperNext = true;
        foreach (char c in name)
        {
            if (char.IsLetterOrDigit(c) && c < 0x80)
            {
                builder.Append(upperNext ? char.ToUpperInvariant(c) : c);
                upperNext = false;
            }
            else
            {
                upperNext = true;
            }
        }

        if (builder.Length == 0)
        {
            builder.Append("Value");
        }

        if (char.IsDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        string result = builder.ToString();
        return SyntaxFacts.GetKeywordKind(result) != SyntaxKind.None ? "@" + result : result;
    }

    /// <summary>Returns <paramref name="candidate"/>, or it with the smallest numeric suffix (2, 3…) not yet used.</summary>
    public static string MakeUnique(string candidate, HashSet<string> used)
    {
        string name = candidate;
        for (int i = 2; !used.Add(name); i++)
        {
            name = candidate + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }

    /// <summary>The candidate closest to <paramref name="name"/> (case-insensitive edit distance), if reasonably close.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int distance = Distance(name.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance < bestDistance || (distance == bestDistance && string.CompareOrdinal(candidate, best) < 0))
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best != null && bestDistance <= Math.Max(2, name.Length / 2) ? best : null;
    }

    /// <summary>C# string literal for <paramref name="value"/>.</summary>
    public static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            int[] swap = previous;
            previous = current;
            current = swap;
        }

        return previous[b.Length];
    }
}

/// <summary>The generator's view of the one dtype table (<see cref="DTypeTable"/>, linked from Warmup.Format).</summary>
internal static class DTypeMap
{
    /// <summary>TF dtype name → the C# element type generated inputs use. Unsupported dtypes map to null.</summary>
    public static string? ElementType(string dtype) => DTypeTable.FindByName(dtype)?.ElementType;

    /// <summary>WarmupDType enum value (TF DataType number) → TF name.</summary>
    public static string FromEnumValue(int value) =>
        DTypeTable.FindByNumber(value)?.Name ?? "DT_" + value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The element type as written in source (keyword or type name) normalised to the generated spelling's short form.</summary>
    public static string NormalizeWritten(string written)
    {
        string name = written;
        int dot = name.LastIndexOf('.');
        if (dot >= 0)
        {
            name = name.Substring(dot + 1);
        }

        return DTypeTable.FindByClrName(name)?.ShortElementType ?? name;
    }

    /// <summary>The short form of a generated element type (<c>global::System.Half</c> → <c>Half</c>).</summary>
    public static string ShortName(string elementType) => NormalizeWritten(elementType.Replace("global::", string.Empty));
}
