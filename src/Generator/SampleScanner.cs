using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Warmup.Generator;

/// <summary>
/// Finds the [WarmupSample] members of a type from its syntax. Roslyn re-runs every ForAttributeWithMetadataName (and
/// syntax provider) transform for every match on every compilation change, and the semantic half of each match is what
/// costs; so samples are not matched one by one but read by their model's transform (one per model) from all of the
/// model's partial declarations. Which attribute a name means is bound once per distinct name per declaration (aliases
/// and same-named attributes of other namespaces resolve exactly); everything else, including the attribute's arguments
/// when they are literals, is read from syntax, which is cheap enough to redo on every edit. Nothing is kept between runs.
/// </summary>
internal static class SampleScanner
{
    private const string SampleName = "WarmupSample";
    private const string SampleAttributeName = "WarmupSampleAttribute";
    private const string ModelAttributeName = "WarmupModelAttribute";

    /// <summary>The samples of a model class, from all its partial declarations, in declaration order.</summary>
    public static EquatableArray<SampleDeclaration> ReadModelSamples(INamedTypeSymbol type, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        List<TypeDeclarationSyntax> parts = Parts(type, semanticModel.Compilation, cancellationToken);
        if (parts.Count == 1)
        {
            return new EquatableArray<SampleDeclaration>(PartSamples(parts[0], semanticModel, cancellationToken));
        }

        var samples = ImmutableArray.CreateBuilder<SampleDeclaration>();
        foreach (TypeDeclarationSyntax part in parts)
        {
            samples.AddRange(PartSamples(part, semanticModel, cancellationToken));
        }

        return new EquatableArray<SampleDeclaration>(samples.ToImmutable());
    }

    /// <summary>The samples of one declaration, in declaration order.</summary>
    private static ImmutableArray<SampleDeclaration> PartSamples(TypeDeclarationSyntax part, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        var scope = new NameScope(part, semanticModel);
        var samples = ImmutableArray.CreateBuilder<SampleDeclaration>();
        foreach (MemberDeclarationSyntax member in part.Members)
        {
            if (FindSampleAttribute(member, scope, cancellationToken) is not { } attribute)
            {
                continue;
            }

            if (member is FieldDeclarationSyntax field)
            {
                foreach (VariableDeclaratorSyntax variable in field.Declaration.Variables)
                {
                    samples.Add(Sample(variable, attribute, scope, cancellationToken));
                }
            }
            else
            {
                samples.Add(Sample(member, attribute, scope, cancellationToken));
            }
        }

        return samples.ToImmutable();
    }

    /// <summary>
    /// Syntax-provider predicate (cached per syntax tree): a type declaration with a member whose attribute is named
    /// like [WarmupSample] (or through a using alias in the same file). Its transform then decides, with the
    /// semantic model, whether the type is a model (nothing to report) or not (WARMUP0017 for each real sample).
    /// </summary>
    public static bool HasSampleNamedMember(SyntaxNode node, CancellationToken cancellationToken)
    {
        if (node is not TypeDeclarationSyntax type)
        {
            return false;
        }

        foreach (MemberDeclarationSyntax member in type.Members)
        {
            if (member.AttributeLists.Count == 0 || !IsSampleCandidate(member))
            {
                continue;
            }

            foreach (AttributeListSyntax list in member.AttributeLists)
            {
                if (!AppliesToMember(list, member))
                {
                    continue;
                }

                foreach (AttributeSyntax attribute in list.Attributes)
                {
                    string name = RightmostName(attribute.Name);
                    if (IsSampleLike(name) || (attribute.Name is IdentifierNameSyntax && IsSampleAlias(type, name)))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>WARMUP0017 for each [WarmupSample] member of a type declaration that is not a [WarmupModel] class.</summary>
    public static EquatableArray<DiagnosticInfo> ReadSamplesOutsideModels(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        var part = (TypeDeclarationSyntax)context.Node;
        if (context.SemanticModel.GetDeclaredSymbol(part, cancellationToken) is not INamedTypeSymbol type || IsModel(type))
        {
            // A model's samples, in whichever partial declaration, are read by the model's transform.
            return EquatableArray<DiagnosticInfo>.Empty;
        }

        var diagnostics = new List<DiagnosticInfo>();
        var scope = new NameScope(part, context.SemanticModel);
        string typeKey = Parser.TypeKey(part);
        foreach (MemberDeclarationSyntax member in part.Members)
        {
            if (FindSampleAttribute(member, scope, cancellationToken) is null)
            {
                continue;
            }

            if (member is FieldDeclarationSyntax field)
            {
                foreach (VariableDeclaratorSyntax variable in field.Declaration.Variables)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SampleOutsideModel, LocationInfo.From(variable.Identifier.GetLocation()), variable.Identifier.ValueText, typeKey));
                }
            }
            else
            {
                SyntaxToken identifier = member is PropertyDeclarationSyntax property ? property.Identifier : ((MethodDeclarationSyntax)member).Identifier;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SampleOutsideModel, LocationInfo.From(identifier.GetLocation()), identifier.ValueText, typeKey));
            }
        }

        return diagnostics.ToEquatableArray();
    }

    /// <summary>The declarations of <paramref name="type"/>, ordered as the compilation orders its syntax trees.</summary>
    private static List<TypeDeclarationSyntax> Parts(INamedTypeSymbol type, Compilation compilation, CancellationToken cancellationToken)
    {
        ImmutableArray<SyntaxReference> references = type.DeclaringSyntaxReferences;
        var parts = new List<TypeDeclarationSyntax>(references.Length);
        foreach (SyntaxReference reference in references)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax part)
            {
                parts.Add(part);
            }
        }

        if (parts.Count > 1)
        {
            ImmutableArray<SyntaxTree> trees = compilation.SyntaxTrees.ToImmutableArray();
            parts.Sort((a, b) =>
            {
                int byTree = ReferenceEquals(a.SyntaxTree, b.SyntaxTree) ? 0 : trees.IndexOf(a.SyntaxTree).CompareTo(trees.IndexOf(b.SyntaxTree));
                return byTree != 0 ? byTree : a.SpanStart.CompareTo(b.SpanStart);
            });
        }

        return parts;
    }

    /// <summary>The member's first attribute that binds to Warmup.WarmupSampleAttribute, if any.</summary>
    private static AttributeSyntax? FindSampleAttribute(MemberDeclarationSyntax member, NameScope scope, CancellationToken cancellationToken)
    {
        if (member.AttributeLists.Count == 0 || !IsSampleCandidate(member))
        {
            return null;
        }

        // A generic method's type parameters are in scope for its attributes: bind those where they stand.
        bool bindHere = member is MethodDeclarationSyntax { TypeParameterList: not null };
        foreach (AttributeListSyntax list in member.AttributeLists)
        {
            if (!AppliesToMember(list, member))
            {
                continue;
            }

            foreach (AttributeSyntax attribute in list.Attributes)
            {
                if (bindHere ? scope.Bind(attribute, cancellationToken) : scope.IsSampleAttribute(attribute.Name.ToString(), attribute, cancellationToken))
                {
                    return attribute;
                }
            }
        }

        return null;
    }

    private static SampleDeclaration Sample(SyntaxNode node, AttributeSyntax attribute, NameScope scope, CancellationToken cancellationToken)
    {
        try
        {
            // Not literals (constants, expressions): bind. Rare, so binding costs only where it is needed.
            SampleArguments arguments = SampleArguments.FromSyntax(attribute)
                ?? SampleArguments.FromSemanticModel(node, attribute, scope.Model(cancellationToken), cancellationToken);
            return Create(Parser.ReadSampleSyntax(node), arguments);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            string memberName = node switch
            {
                VariableDeclaratorSyntax variable => variable.Identifier.ValueText,
                PropertyDeclarationSyntax property => property.Identifier.ValueText,
                MethodDeclarationSyntax method => method.Identifier.ValueText,
                _ => "?",
            };
            LocationInfo? location = LocationInfo.From(node.GetLocation());
            DiagnosticInfo error = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, location, "reading sample '" + memberName + "'", exception.GetType().Name + ": " + exception.Message);
            return new SampleDeclaration(
                memberName, SampleMemberKind.Property, true, true, null, "?", EquatableArray<int>.Empty, 1,
                memberName, -1, string.Empty, 0, location, null, EquatableArray<InitializerInfo>.Empty, new[] { error }.ToEquatableArray());
        }
    }

    private static SampleDeclaration Create(Parser.SampleSyntax syntax, SampleArguments arguments)
        => new SampleDeclaration(
            syntax.MemberName,
            syntax.Kind,
            syntax.IsStatic,
            syntax.HasParameters,
            syntax.ElementName,
            syntax.ReturnTypeDisplay,
            arguments.BatchSizes,
            arguments.Iterations,
            // The declaring member's full name by default (contract: WarmupSample.Name).
            arguments.Name ?? syntax.DefaultName,
            syntax.StaticCount,
            syntax.FilePath,
            syntax.Line,
            syntax.Location,
            arguments.BatchSizesLocation,
            syntax.Initializers,
            EquatableArray<DiagnosticInfo>.Empty);

    private static bool IsModel(INamedTypeSymbol type)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (IsWarmupAttribute(attribute.AttributeClass, ModelAttributeName))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="type"/> is <c>Warmup.&lt;name&gt;</c>, as ForAttributeWithMetadataName would match it.</summary>
    private static bool IsWarmupAttribute(ITypeSymbol? type, string name)
        => type is INamedTypeSymbol { TypeKind: not TypeKind.Error, Arity: 0, ContainingType: null } named
            && named.Name == name
            && named.ContainingNamespace is { Name: AttributeNames.Namespace } ns
            && ns.ContainingNamespace is { IsGlobalNamespace: true };

    private static bool IsSampleCandidate(MemberDeclarationSyntax member)
        => member is PropertyDeclarationSyntax || member is MethodDeclarationSyntax || member is FieldDeclarationSyntax;

    /// <summary>Whether an attribute list applies to the member itself (not <c>return:</c>, <c>field:</c> on a property…).</summary>
    private static bool AppliesToMember(AttributeListSyntax list, MemberDeclarationSyntax member)
    {
        if (list.Target is not { } target)
        {
            return true;
        }

        SyntaxKind expected = member switch
        {
            PropertyDeclarationSyntax => SyntaxKind.PropertyKeyword,
            MethodDeclarationSyntax => SyntaxKind.MethodKeyword,
            _ => SyntaxKind.FieldKeyword,
        };
        return target.Identifier.IsKind(expected);
    }

    private static string RightmostName(NameSyntax name) => name switch
    {
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        _ => string.Empty,
    };

    private static bool IsSampleLike(string name) => name == SampleName || name == SampleAttributeName;

    /// <summary>Whether a using alias in this file (enclosing namespaces or the compilation unit) names a WarmupSample type.</summary>
    private static bool IsSampleAlias(SyntaxNode node, string name)
    {
        for (SyntaxNode? current = node.Parent; current is not null; current = current.Parent)
        {
            SyntaxList<UsingDirectiveSyntax> usings = current switch
            {
                BaseNamespaceDeclarationSyntax ns => ns.Usings,
                CompilationUnitSyntax unit => unit.Usings,
                _ => default,
            };
            foreach (UsingDirectiveSyntax directive in usings)
            {
                if (directive.Alias is { } alias && alias.Name.Identifier.ValueText == name && directive.NamespaceOrType is NameSyntax target && IsSampleLike(RightmostName(target)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>What one declaration's attribute names bind to: each distinct name is bound once, at its first use.</summary>
    private sealed class NameScope
    {
        private readonly TypeDeclarationSyntax _part;
        private readonly SemanticModel _context;
        private SemanticModel? _model;
        private Dictionary<string, bool>? _names;

        public NameScope(TypeDeclarationSyntax part, SemanticModel context)
        {
            _part = part;
            _context = context;
        }

        public SemanticModel Model(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return _model ??= ReferenceEquals(_context.SyntaxTree, _part.SyntaxTree) ? _context : _context.Compilation.GetSemanticModel(_part.SyntaxTree);
        }

        public bool IsSampleAttribute(string name, AttributeSyntax attribute, CancellationToken cancellationToken)
        {
            _names ??= new Dictionary<string, bool>(StringComparer.Ordinal);
            if (!_names.TryGetValue(name, out bool isSample))
            {
                isSample = Bind(attribute, cancellationToken);
                _names.Add(name, isSample);
            }

            return isSample;
        }

        public bool Bind(AttributeSyntax attribute, CancellationToken cancellationToken)
            => IsWarmupAttribute(Model(cancellationToken).GetTypeInfo(attribute, cancellationToken).Type, SampleAttributeName);
    }

    /// <summary>The values of a [WarmupSample]'s named arguments.</summary>
    private sealed class SampleArguments
    {
        private SampleArguments(EquatableArray<int> batchSizes, int iterations, string? name, LocationInfo? batchSizesLocation)
        {
            BatchSizes = batchSizes;
            Iterations = iterations;
            Name = name;
            BatchSizesLocation = batchSizesLocation;
        }

        public EquatableArray<int> BatchSizes { get; }

        public int Iterations { get; }

        /// <summary>The name given, or null for the default.</summary>
        public string? Name { get; }

        public LocationInfo? BatchSizesLocation { get; }

        /// <summary>The values when every argument is a literal (ints, int arrays, strings); null when binding is needed.</summary>
        public static SampleArguments? FromSyntax(AttributeSyntax attribute)
        {
            EquatableArray<int> batchSizes = EquatableArray<int>.Empty;
            int iterations = 1;
            string? name = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (AttributeArgumentSyntax argument in attribute.ArgumentList?.Arguments ?? default)
            {
                if (argument.NameEquals is not { } nameEquals || argument.NameColon is not null || !seen.Add(nameEquals.Name.Identifier.ValueText))
                {
                    return null;
                }

                ExpressionSyntax value = argument.Expression;
                switch (nameEquals.Name.Identifier.ValueText)
                {
                    case "BatchSizes":
                        if (value.IsKind(SyntaxKind.NullLiteralExpression))
                        {
                            break;
                        }

                        if (IntArray(value) is not { } sizes)
                        {
                            return null;
                        }

                        batchSizes = sizes;
                        break;
                    case "Iterations":
                        if (Int(value) is not { } count)
                        {
                            return null;
                        }

                        iterations = count;
                        break;
                    case "Name":
                        if (value.IsKind(SyntaxKind.NullLiteralExpression))
                        {
                            break;
                        }

                        if (value is not LiteralExpressionSyntax { RawKind: (int)SyntaxKind.StringLiteralExpression } literal)
                        {
                            return null;
                        }

                        name = literal.Token.ValueText.Length > 0 ? literal.Token.ValueText : null;
                        break;
                    default:
                        return null;
                }
            }

            return new SampleArguments(batchSizes, iterations, name, BatchSizesLocationOf(attribute));
        }

        /// <summary>The values as the compiler binds them (constants, expressions).</summary>
        public static SampleArguments FromSemanticModel(SyntaxNode node, AttributeSyntax attribute, SemanticModel model, CancellationToken cancellationToken)
        {
            var batchSizes = new List<int>();
            int iterations = 1;
            string? name = null;
            AttributeData? data = null;
            if (model.GetDeclaredSymbol(node, cancellationToken) is { } symbol)
            {
                foreach (AttributeData candidate in symbol.GetAttributes())
                {
                    if (candidate.ApplicationSyntaxReference is { } reference && reference.SyntaxTree == attribute.SyntaxTree && reference.Span == attribute.Span)
                    {
                        data = candidate;
                        break;
                    }
                }
            }

            foreach (KeyValuePair<string, TypedConstant> named in data?.NamedArguments ?? ImmutableArray<KeyValuePair<string, TypedConstant>>.Empty)
            {
                if (named.Key == "BatchSizes" && named.Value.Kind == TypedConstantKind.Array && !named.Value.IsNull)
                {
                    foreach (TypedConstant value in named.Value.Values)
                    {
                        batchSizes.Add(value.Value is int i ? i : 0);
                    }
                }
                else if (named.Key == "Iterations" && named.Value.Value is int it)
                {
                    iterations = it;
                }
                else if (named.Key == "Name" && named.Value.Value is string n && n.Length > 0)
                {
                    name = n;
                }
            }

            return new SampleArguments(batchSizes.ToEquatableArray(), iterations, name, BatchSizesLocationOf(attribute));
        }

        private static LocationInfo? BatchSizesLocationOf(AttributeSyntax attribute)
        {
            if (attribute.ArgumentList is { } list)
            {
                foreach (AttributeArgumentSyntax argument in list.Arguments)
                {
                    if (argument.NameEquals?.Name.Identifier.ValueText == "BatchSizes")
                    {
                        return LocationInfo.From(argument);
                    }
                }
            }

            return LocationInfo.From(attribute);
        }

        /// <summary><c>new[] { 1, 8 }</c>, <c>new int[] { 1, 8 }</c> or <c>[1, 8]</c> of int literals.</summary>
        private static EquatableArray<int>? IntArray(ExpressionSyntax value)
        {
            SeparatedSyntaxList<ExpressionSyntax> elements;
            switch (value)
            {
                case ImplicitArrayCreationExpressionSyntax implicitArray when implicitArray.Commas.Count == 0:
                    elements = implicitArray.Initializer.Expressions;
                    if (elements.Count == 0)
                    {
                        return null;
                    }

                    break;
                case ArrayCreationExpressionSyntax
                {
                    Type: { ElementType: PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.IntKeyword }, RankSpecifiers: { Count: 1 } ranks },
                    Initializer: { } initializer,
                }
                when ranks[0].Rank == 1 && ranks[0].Sizes[0] is OmittedArraySizeExpressionSyntax:
                    elements = initializer.Expressions;
                    break;
                case CollectionExpressionSyntax collection:
                {
                    var values = new int[collection.Elements.Count];
                    for (int i = 0; i < values.Length; i++)
                    {
                        if (collection.Elements[i] is not ExpressionElementSyntax { Expression: var expression } || Int(expression) is not { } element)
                        {
                            return null;
                        }

                        values[i] = element;
                    }

                    return values.ToEquatableArray();
                }

                default:
                    return null;
            }

            var result = new int[elements.Count];
            for (int i = 0; i < result.Length; i++)
            {
                if (Int(elements[i]) is not { } element)
                {
                    return null;
                }

                result[i] = element;
            }

            return result.ToEquatableArray();
        }

        /// <summary>An int literal, optionally negated.</summary>
        private static int? Int(ExpressionSyntax value) => value switch
        {
            LiteralExpressionSyntax { Token.Value: int i } => i,
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression, Operand: LiteralExpressionSyntax { Token.Value: int i } } when i != int.MinValue => -i,
            _ => null,
        };
    }
}
