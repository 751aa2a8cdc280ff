using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

// Pipeline models: immutable records with value equality so that Roslyn can cache every step.
// They hold strings, numbers and equatable arrays only: never a symbol, syntax node, Location or Compilation.
namespace Warmup.Generator;

/// <summary>An immutable array compared by its elements (ImmutableArray compares by reference).</summary>
internal readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
    where T : IEquatable<T>
{
    public static readonly EquatableArray<T> Empty = new EquatableArray<T>(ImmutableArray<T>.Empty);

    private readonly ImmutableArray<T> _items;

    public EquatableArray(ImmutableArray<T> items) => _items = items;

    public EquatableArray(IEnumerable<T> items) => _items = items.ToImmutableArray();

    public ImmutableArray<T> AsImmutableArray() => _items.IsDefault ? ImmutableArray<T>.Empty : _items;

    public int Count => _items.IsDefault ? 0 : _items.Length;

    public T this[int index] => _items[index];

    public bool Equals(EquatableArray<T> other)
    {
        ImmutableArray<T> a = AsImmutableArray();
        ImmutableArray<T> b = other.AsImmutableArray();
        if (a == b)
        {
            // The same array: equal without comparing elements.
            return true;
        }

        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (!EqualityComparer<T>.Default.Equals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

    public override int GetHashCode()
    {
        int hash = 17;
        foreach (T item in AsImmutableArray())
        {
            hash = unchecked((hash * 31) + (item is null ? 0 : item.GetHashCode()));
        }

        return hash;
    }

    public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);

    public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);

    public ImmutableArray<T>.Enumerator GetEnumerator() => AsImmutableArray().GetEnumerator();

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => ((IEnumerable<T>)AsImmutableArray()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable)AsImmutableArray()).GetEnumerator();
}

internal static class EquatableArray
{
    public static EquatableArray<T> ToEquatableArray<T>(this IEnumerable<T> items)
        where T : IEquatable<T> => new EquatableArray<T>(items);
}

/// <summary>Where something is, without holding the syntax tree: rebuilt into a Location only to report.</summary>
internal sealed record LocationInfo(string FilePath, int Start, int Length, int StartLine, int StartCharacter, int EndLine, int EndCharacter)
{
    public static LocationInfo? From(Location? location)
    {
        if (location is null || location == Location.None)
        {
            return null;
        }

        if (location.SourceTree is { } tree)
        {
            // Source locations are rebuilt from the tree when reported, so the span is enough (line lookups cost, per edit).
            return new LocationInfo(tree.FilePath, location.SourceSpan.Start, location.SourceSpan.Length, 0, 0, 0, 0);
        }

        FileLinePositionSpan span = location.GetLineSpan();
        return new LocationInfo(
            span.Path ?? string.Empty,
            location.SourceSpan.Start,
            location.SourceSpan.Length,
            span.StartLinePosition.Line,
            span.StartLinePosition.Character,
            span.EndLinePosition.Line,
            span.EndLinePosition.Character);
    }

    /// <summary>A node's location with its lines, to report without the syntax tree (an output that does not read the Compilation).</summary>
    public static LocationInfo? WithLines(SyntaxNode? node)
    {
        if (node is null)
        {
            return null;
        }

        FileLinePositionSpan span = node.GetLocation().GetLineSpan();
        return new LocationInfo(node.SyntaxTree.FilePath, node.Span.Start, node.Span.Length, span.StartLinePosition.Line, span.StartLinePosition.Character, span.EndLinePosition.Line, span.EndLinePosition.Character);
    }

    public static LocationInfo? From(SyntaxNode? node)
        => node is null ? null : new LocationInfo(node.SyntaxTree.FilePath, node.Span.Start, node.Span.Length, 0, 0, 0, 0);

    /// <summary>A location in a non-C# file (an additional file), by line only.</summary>
    public static LocationInfo ForFileLine(string path, int oneBasedLine)
    {
        int line = Math.Max(0, oneBasedLine - 1);
        return new LocationInfo(path, 0, 0, line, 0, line, 0);
    }

    public TextSpan Span => new TextSpan(Start, Length);

    public LinePositionSpan LineSpan => new LinePositionSpan(new LinePosition(StartLine, StartCharacter), new LinePosition(EndLine, EndCharacter));
}

/// <summary>A diagnostic to report, by descriptor id, with its message arguments as strings.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object?[] arguments)
        => new DiagnosticInfo(descriptor.Id, location, arguments.Select(a => a?.ToString() ?? string.Empty).ToEquatableArray());
}

/// <summary>One enclosing type of a model class (for emitting the matching partial declarations).</summary>
internal sealed record ContainingTypeInfo(string Keyword, string Name);

/// <summary>The C# type that carries a [WarmupModel] attribute.</summary>
internal sealed record TypeInfo(
    string Namespace,
    EquatableArray<ContainingTypeInfo> ContainingTypes,
    string Name,
    string Keyword,
    string FullName);

/// <summary>One tensor input of a signature, with its C# shape.</summary>
/// <remarks><paramref name="Dims"/> is -1 where not fixed; <paramref name="Symbols"/> names such dimensions (ONNX
/// <c>dim_param</c>), empty where unnamed, and may be empty as a whole (hand-declared inputs).</remarks>
internal sealed record InputModel(
    string Name,
    string PropertyName,
    string DType,
    string ElementType,
    int Rank,
    EquatableArray<long> Dims,
    int Line,
    string? BytesPropertyName = null,
    EquatableArray<string> Symbols = default);

/// <summary>A tf.Example feature declared with [WarmupFeature].</summary>
internal sealed record FeatureModel(string Name, string PropertyName, string Kind, string? Signature);

/// <summary>One serving signature, resolved for generation.</summary>
internal sealed record SignatureModel(
    string Key,
    string Method,
    string InputsTypeName,
    EquatableArray<InputModel> Inputs,
    int Line);

/// <summary>
/// A [WarmupModel] class as declared, with the [WarmupSample] members of all its partial declarations in declaration
/// order (syntax trees in compilation order), before the signature file is matched.
/// </summary>
internal sealed record ModelDeclaration(
    TypeInfo Type,
    string ModelName,
    bool IsPartial,
    bool HasDeclaredSignatures,
    EquatableArray<DeclaredInput> DeclaredInputs,
    EquatableArray<DeclaredSignature> DeclaredSignatures,
    EquatableArray<DeclaredFeature> DeclaredFeatures,
    EquatableArray<SampleDeclaration> Samples,
    LocationInfo? Location,
    EquatableArray<DiagnosticInfo> Diagnostics,
    LocationInfo? AttributeLocation = null);

/// <summary>What the assembly-wide checks need of a model (so that editing a sample does not re-run them).</summary>
internal sealed record ModelIdentity(string ModelName, string FullName, LocationInfo? Location);

internal sealed record DeclaredInput(string Signature, string Name, string DType, bool UnknownRank, EquatableArray<long> Dims, LocationInfo? Location);

internal sealed record DeclaredSignature(string Key, string Method, LocationInfo? Location);

internal sealed record DeclaredFeature(string Name, string Kind, LocationInfo? Location);

/// <summary>What a sample member's body statically shows about one object initializer.</summary>
internal sealed record InitializerInfo(string TypeName, LocationInfo? Location, EquatableArray<AssignmentInfo> Assignments);

/// <summary>One <c>Name = value</c> in an object initializer, with what the value's syntax shows.</summary>
internal sealed record AssignmentInfo(
    string Name,
    LocationInfo? NameLocation,
    string? ElementType,
    int Rank,
    EquatableArray<int> Lengths,
    LocationInfo? ValueLocation);

internal enum SampleMemberKind
{
    Property,
    Field,
    Method,
}

/// <summary>A [WarmupSample] member of a model class as declared.</summary>
internal sealed record SampleDeclaration(
    string MemberName,
    SampleMemberKind Kind,
    bool IsStatic,
    bool HasParameters,
    string? ReturnTypeName,
    string ReturnTypeDisplay,
    EquatableArray<int> BatchSizes,
    int Iterations,
    string Name,
    int StaticCount,
    string FilePath,
    int Line,
    LocationInfo? Location,
    LocationInfo? BatchSizesLocation,
    EquatableArray<InitializerInfo> Initializers,
    EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>A parsed <c>.warmup-signature</c> additional file.</summary>
internal sealed record SignatureFileModel(
    string Path,
    string? ModelName,
    EquatableArray<SignatureFileSignature> Signatures,
    DiagnosticInfo? Error);

internal sealed record SignatureFileSignature(string Key, string Method, int Line, EquatableArray<SignatureFileInput> Inputs);

/// <summary>One input of a signature file: <paramref name="Dims"/> is -1 where not fixed, and <paramref name="Symbols"/> names such
/// dimensions (empty where unnamed).</summary>
internal sealed record SignatureFileInput(string Name, string DType, bool UnknownRank, EquatableArray<long> Dims, EquatableArray<string> Symbols, int Line);

/// <summary>A sample bound to its model and signature: what the emitter needs.</summary>
internal sealed record SampleModel(
    string MemberName,
    SampleMemberKind Kind,
    string SignatureKey,
    EquatableArray<int> BatchSizes,
    int Iterations,
    string Name,
    string FilePath,
    int Line);

/// <summary>Everything generated for one model.</summary>
internal sealed record ModelUnit(
    TypeInfo Type,
    string ModelName,
    EquatableArray<SignatureModel> Signatures,
    EquatableArray<FeatureModel> Features,
    string ExampleTypeName,
    string MultiInferenceTypeName,
    EquatableArray<SampleModel> Samples);

/// <summary>The result of binding one model: what to generate (null when nothing can be) and what to report.</summary>
/// <remarks><paramref name="GeneratedNames"/> is WARMUP0021 (Info), reported apart from <paramref name="Diagnostics"/>: its
/// output does not read the Compilation, so an edit that changes nothing else leaves it cached.</remarks>
internal sealed record ModelResult(ModelUnit? Unit, EquatableArray<DiagnosticInfo> Diagnostics, DiagnosticInfo? GeneratedNames = null);

/// <summary>One model's lines in the assembly's sample manifest: only what the manifest prints, so that editing a
/// sample's batch sizes or iterations regenerates that model's file but not the manifest.</summary>
internal sealed record ManifestEntry(string ModelName, string TypeFullName, EquatableArray<ManifestSample> Samples);

internal sealed record ManifestSample(string Name, string FilePath, int Line);
