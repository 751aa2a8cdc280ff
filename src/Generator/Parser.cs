using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Warmup.Format.Signatures;

namespace Warmup.Generator;

/// <summary>Turns attributed syntax and additional files into pipeline models. Runs per declaration; never throws.</summary>
internal static class Parser
{
    public static bool IsModelCandidate(SyntaxNode node, CancellationToken cancellationToken) => node is TypeDeclarationSyntax;

    /// <summary>
    /// Whether this declaration carries the class's first [WarmupModel]: a class with the attribute on several partial
    /// declarations is matched once per declaration, and only the first one may become a model.
    /// </summary>
    public static bool IsFirstModelDeclaration(GeneratorAttributeSyntaxContext context)
    {
        SyntaxReference? current = context.Attributes[0].ApplicationSyntaxReference;
        foreach (AttributeData attribute in context.TargetSymbol.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == AttributeNames.ModelAttribute)
            {
                SyntaxReference? first = attribute.ApplicationSyntaxReference;
                return first is null || current is null || (first.SyntaxTree == current.SyntaxTree && first.Span == current.Span);
            }
        }

        return true;
    }

    public static ModelDeclaration ParseModel(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var node = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<DiagnosticInfo>();
        LocationInfo? location = LocationInfo.From(node.Identifier.GetLocation());

        string modelName = string.Empty;
        AttributeData attribute = context.Attributes[0];
        if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string name)
        {
            modelName = name;
        }

        if (modelName.Length == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDeclaration, location, "[WarmupModel] needs a non-empty TF Serving model name"));
        }

        bool isPartial = true;
        var containing = new List<ContainingTypeInfo>();
        for (SyntaxNode? current = node; current is TypeDeclarationSyntax typeSyntax; current = current.Parent)
        {
            if (!typeSyntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                isPartial = false;
            }

            if (!ReferenceEquals(typeSyntax, node))
            {
                containing.Insert(0, new ContainingTypeInfo(Keyword(typeSyntax), typeSyntax.Identifier.ValueText + TypeParameters(typeSyntax)));
            }
        }

        if (type.IsGenericType || (type.ContainingType?.IsGenericType ?? false))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDeclaration, location, "A [WarmupModel] class and the types containing it cannot be generic: samples are read from one closed type"));
        }

        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } containingNamespace ? containingNamespace.ToDisplayString() : string.Empty;
        var typeInfo = new TypeInfo(
            ns,
            containing.ToEquatableArray(),
            node.Identifier.ValueText + TypeParameters(node),
            Keyword(node),
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));

        var inputs = new List<DeclaredInput>();
        var signatures = new List<DeclaredSignature>();
        var features = new List<DeclaredFeature>();
        foreach (AttributeData data in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? attributeName = data.AttributeClass?.ToDisplayString();
            LocationInfo? attributeLocation = LocationInfo.From(data.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
            ImmutableArray<TypedConstant> args = data.ConstructorArguments;
            if (attributeName == AttributeNames.InputAttribute && args.Length == 3)
            {
                string inputName = args[0].Value as string ?? string.Empty;
                int dtype = args[1].Value is int d ? d : 0;
                var dims = new List<long>();
                if (args[2].Kind == TypedConstantKind.Array && !args[2].IsNull)
                {
                    foreach (TypedConstant dim in args[2].Values)
                    {
                        dims.Add(dim.Value is long l ? l : 0);
                    }
                }

                string signature = "serving_default";
                bool unknownRank = false;
                foreach (KeyValuePair<string, TypedConstant> named in data.NamedArguments)
                {
                    if (named.Key == "Signature" && named.Value.Value is string s)
                    {
                        signature = s;
                    }
                    else if (named.Key == "UnknownRank" && named.Value.Value is bool b)
                    {
                        unknownRank = b;
                    }
                }

                inputs.Add(new DeclaredInput(signature, inputName, DTypeMap.FromEnumValue(dtype), unknownRank, dims.ToEquatableArray(), attributeLocation));
            }
            else if (attributeName == AttributeNames.SignatureAttribute && args.Length == 2)
            {
                string method = (args[1].Value is int m ? m : 0) switch { 1 => "classify", 2 => "regress", _ => "predict" };
                signatures.Add(new DeclaredSignature(args[0].Value as string ?? string.Empty, method, attributeLocation));
            }
            else if (attributeName == AttributeNames.FeatureAttribute && args.Length == 2)
            {
                string kind = (args[1].Value is int k ? k : 0) switch { 1 => "Int64", 2 => "Bytes", 3 => "String", _ => "Float" };
                features.Add(new DeclaredFeature(args[0].Value as string ?? string.Empty, kind, attributeLocation));
            }
        }

        return new ModelDeclaration(
            typeInfo,
            modelName,
            isPartial,
            inputs.Count > 0 || signatures.Count > 0,
            inputs.ToEquatableArray(),
            signatures.ToEquatableArray(),
            features.ToEquatableArray(),
            SampleScanner.ReadModelSamples(type, context.SemanticModel, cancellationToken),
            location,
            diagnostics.ToEquatableArray(),
            LocationInfo.WithLines(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken)));
    }

    /// <summary>What a sample member's syntax alone says (a pure function of the node).</summary>
    internal sealed record SampleSyntax(
        string MemberName,
        string DefaultName,
        SampleMemberKind Kind,
        bool IsStatic,
        bool HasParameters,
        string? ElementName,
        string ReturnTypeDisplay,
        int StaticCount,
        string FilePath,
        int Line,
        LocationInfo? Location,
        EquatableArray<InitializerInfo> Initializers);

    internal static SampleSyntax ReadSampleSyntax(SyntaxNode node)
    {
        SampleMemberKind kind;
        TypeSyntax? returnType;
        bool hasParameters = false;
        bool isStatic;
        SyntaxToken identifier;
        switch (node)
        {
            case PropertyDeclarationSyntax property:
                kind = SampleMemberKind.Property;
                returnType = property.Type;
                identifier = property.Identifier;
                isStatic = property.Modifiers.Any(SyntaxKind.StaticKeyword);
                hasParameters = false;
                break;
            case VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: FieldDeclarationSyntax field } declaration } variable:
                kind = SampleMemberKind.Field;
                returnType = declaration.Type;
                identifier = variable.Identifier;
                isStatic = field.Modifiers.Any(SyntaxKind.StaticKeyword) || field.Modifiers.Any(SyntaxKind.ConstKeyword);
                break;
            case MethodDeclarationSyntax method:
                kind = SampleMemberKind.Method;
                returnType = method.ReturnType is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword } ? null : method.ReturnType;
                hasParameters = method.ParameterList.Parameters.Count > 0 || method.TypeParameterList is not null;
                identifier = method.Identifier;
                isStatic = method.Modifiers.Any(SyntaxKind.StaticKeyword);
                break;
            default:
                kind = SampleMemberKind.Property;
                returnType = null;
                identifier = default;
                isStatic = false;
                break;
        }

        (string? elementName, bool isEnumerable) = ElementOf(returnType);
        TypeDeclarationSyntax? containingType = node.FirstAncestorOrSelf<TypeDeclarationSyntax>();
        string memberName = identifier.ValueText;
        Location identifierLocation = identifier.GetLocation();
        FileLinePositionSpan lineSpan = identifierLocation.GetLineSpan();
        return new SampleSyntax(
            memberName,
            containingType is null ? memberName : containingType.Identifier.ValueText + "." + memberName,
            kind,
            isStatic,
            hasParameters,
            elementName,
            returnType?.ToString() ?? "void",
            isEnumerable ? CountElements(node) : 1,
            node.SyntaxTree.FilePath,
            lineSpan.StartLinePosition.Line + 1,
            LocationInfo.From(identifierLocation),
            ReadInitializers(node, elementName ?? string.Empty));
    }

    public static SignatureFileModel ParseSignatureFile(string path, string? text)
    {
        if (text is null)
        {
            // The build names the file after the model (docs/contracts.md §1), so the model is not also reported missing.
            return new SignatureFileModel(path, ModelNameFromPath(path), EquatableArray<SignatureFileSignature>.Empty, DiagnosticInfo.Create(DiagnosticDescriptors.SignatureFileUnreadable, LocationInfo.ForFileLine(path, 1), path));
        }

        if (!SignatureText.TryParse(text, out SignatureFile? file, out SignatureTextError? error))
        {
            int line = error?.Line ?? 0;
            return new SignatureFileModel(
                path,
                ScanModelName(text) ?? ModelNameFromPath(path),
                EquatableArray<SignatureFileSignature>.Empty,
                DiagnosticInfo.Create(DiagnosticDescriptors.SignatureFileInvalid, LocationInfo.ForFileLine(path, Math.Max(1, line)), path, Math.Max(1, line), error?.Message ?? "unknown error"));
        }

        var signatures = new List<SignatureFileSignature>();
        foreach (SignatureDefinition signature in file!.Signatures)
        {
            var inputs = new List<SignatureFileInput>();
            foreach (SignatureTensor input in signature.Inputs)
            {
                EquatableArray<long> dims = input.Shape is null
                    ? EquatableArray<long>.Empty
                    : input.Shape.Select(d => d.IsFixed ? d.Size : -1L).ToEquatableArray();
                EquatableArray<string> symbols = input.Shape is null
                    ? EquatableArray<string>.Empty
                    : input.Shape.Select(d => d.Symbol ?? string.Empty).ToEquatableArray();
                inputs.Add(new SignatureFileInput(input.Name, input.DType, input.Shape is null, dims, symbols, input.Line));
            }

            signatures.Add(new SignatureFileSignature(signature.Key, signature.Method, signature.Line, inputs.ToEquatableArray()));
        }

        return new SignatureFileModel(path, file.ModelName, signatures.ToEquatableArray(), null);
    }

    private static string ModelNameFromPath(string path)
    {
        string name = System.IO.Path.GetFileName(path);
        return name.EndsWith(SignatureText.FileExtension, StringComparison.OrdinalIgnoreCase) ? name.Substring(0, name.Length - SignatureText.FileExtension.Length) : name;
    }

    /// <summary>Finds the <c>model</c> line of a file that failed to parse, so its model does not also get "missing".</summary>
    private static string? ScanModelName(string text)
    {
        foreach (string line in text.Split('\n'))
        {
            string trimmed = line.TrimEnd('\r');
            if (trimmed.StartsWith("model ", StringComparison.Ordinal) && SignatureText.TryDecode(trimmed.Substring(6), out string name))
            {
                return name;
            }
        }

        return null;
    }

    private static (string? ElementName, bool IsEnumerable) ElementOf(TypeSyntax? type)
    {
        switch (type)
        {
            case null:
                return (null, false);
            case NullableTypeSyntax nullable:
                return ElementOf(nullable.ElementType);
            case ArrayTypeSyntax { RankSpecifiers.Count: 1 } array when array.RankSpecifiers[0].Rank == 1:
                return (NameOf(array.ElementType), true);
            case PredefinedTypeSyntax:
            case ArrayTypeSyntax:
            case TupleTypeSyntax:
            case PointerTypeSyntax:
                return (null, false);
        }

        TypeSyntax last = type is QualifiedNameSyntax qualified ? qualified.Right : type is AliasQualifiedNameSyntax alias ? alias.Name : type;
        if (last is GenericNameSyntax { TypeArgumentList.Arguments.Count: 1 } generic)
        {
            switch (generic.Identifier.ValueText)
            {
                case "IEnumerable":
                case "IReadOnlyList":
                case "IReadOnlyCollection":
                case "IList":
                case "ICollection":
                case "List":
                    return (NameOf(generic.TypeArgumentList.Arguments[0]), true);
            }

            return (null, false);
        }

        return (NameOf(type), false);
    }

    private static string? NameOf(TypeSyntax type)
        => type is PredefinedTypeSyntax || type is ArrayTypeSyntax || type is GenericNameSyntax ? null : LastIdentifier(type);

    /// <summary>The same key for a model class and the samples inside it, from syntax: namespace and nested type names.</summary>
    internal static string TypeKey(TypeDeclarationSyntax type)
    {
        var parts = new List<string>();
        for (SyntaxNode? current = type; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case TypeDeclarationSyntax declaration:
                    parts.Add(declaration.Identifier.ValueText + (declaration.TypeParameterList is { } list ? "`" + list.Parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty));
                    break;
                case BaseNamespaceDeclarationSyntax ns:
                    parts.Add(ns.Name.ToString().Replace(" ", string.Empty));
                    break;
            }
        }

        parts.Reverse();
        return string.Join(".", parts);
    }

    /// <summary>Records a sample returns, when its syntax shows them: array/collection literals and straight-line yield returns.</summary>
    private static int CountElements(SyntaxNode member)
    {
        ExpressionSyntax? value = ValueExpression(member);
        if (value is not null)
        {
            return value switch
            {
                ArrayCreationExpressionSyntax { Initializer: { } init } => init.Expressions.Count,
                ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer.Expressions.Count,
                CollectionExpressionSyntax collection when collection.Elements.All(e => e is ExpressionElementSyntax) => collection.Elements.Count,
                _ => -1,
            };
        }

        if (member is MethodDeclarationSyntax { Body: { } body })
        {
            int yields = 0;
            foreach (SyntaxNode descendant in body.DescendantNodes(n => n is not AnonymousFunctionExpressionSyntax && n is not LocalFunctionStatementSyntax))
            {
                if (descendant is ForStatementSyntax || descendant is CommonForEachStatementSyntax || descendant is WhileStatementSyntax || descendant is DoStatementSyntax || descendant is GotoStatementSyntax)
                {
                    return -1;
                }

                if (descendant is YieldStatementSyntax yield && yield.IsKind(SyntaxKind.YieldReturnStatement))
                {
                    yields++;
                }
            }

            return yields > 0 ? yields : -1;
        }

        return -1;
    }

    private static ExpressionSyntax? ValueExpression(SyntaxNode member)
    {
        switch (member)
        {
            case VariableDeclaratorSyntax declarator:
                return declarator.Initializer?.Value;
            case PropertyDeclarationSyntax property:
                if (property.ExpressionBody is not null)
                {
                    return property.ExpressionBody.Expression;
                }

                if (property.Initializer is not null)
                {
                    return property.Initializer.Value;
                }

                AccessorDeclarationSyntax? getter = property.AccessorList?.Accessors.FirstOrDefault(a => a.IsKind(SyntaxKind.GetAccessorDeclaration));
                return getter?.ExpressionBody?.Expression ?? SingleReturn(getter?.Body);
            case MethodDeclarationSyntax method:
                return method.ExpressionBody?.Expression ?? SingleReturn(method.Body);
            default:
                return null;
        }
    }

    private static ExpressionSyntax? SingleReturn(BlockSyntax? body)
        => body is { Statements.Count: 1 } && body.Statements[0] is ReturnStatementSyntax ret ? ret.Expression : null;

    private static EquatableArray<InitializerInfo> ReadInitializers(SyntaxNode member, string sampleElementName)
    {
        var result = new List<InitializerInfo>();
        foreach (BaseObjectCreationExpressionSyntax creation in member.DescendantNodes().OfType<BaseObjectCreationExpressionSyntax>())
        {
            if (creation.Initializer is not { } initializer || !initializer.IsKind(SyntaxKind.ObjectInitializerExpression))
            {
                continue;
            }

            string typeName;
            if (creation is ObjectCreationExpressionSyntax explicitCreation)
            {
                typeName = LastIdentifier(explicitCreation.Type);
            }
            else
            {
                // Syntax only: binding the expression would cost far more than the rest of the transform, on every edit.
                typeName = TargetTypeName(creation, sampleElementName);
            }

            var assignments = new List<AssignmentInfo>();
            foreach (ExpressionSyntax expression in initializer.Expressions)
            {
                if (expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax left } assignment)
                {
                    assignments.Add(ReadValue(left.Identifier.ValueText, LocationInfo.From(left), assignment.Right));
                }
            }

            Location creationLocation = creation is ObjectCreationExpressionSyntax explicitNew
                ? explicitNew.Type.GetLocation()
                : creation.NewKeyword.GetLocation();
            result.Add(new InitializerInfo(typeName, LocationInfo.From(creationLocation), assignments.ToEquatableArray()));
        }

        return result.ToEquatableArray();
    }

    /// <summary>
    /// The type a target-typed <c>new() { … }</c> creates, read from where it stands: generated types do not bind
    /// in the compilation the generator sees, so the semantic model cannot say.
    /// </summary>
    private static string TargetTypeName(SyntaxNode expression, string sampleElementName)
    {
        SyntaxNode? parent = expression.Parent;
        switch (parent)
        {
            case ArrowExpressionClauseSyntax:
            case EqualsValueClauseSyntax:
            case ReturnStatementSyntax:
            case YieldStatementSyntax:
                return sampleElementName;
            case ExpressionElementSyntax { Parent: CollectionExpressionSyntax collection }:
                return TargetTypeName(collection, sampleElementName);
            case InitializerExpressionSyntax { Parent: ArrayCreationExpressionSyntax array }:
                return LastIdentifier(array.Type.ElementType);
            case InitializerExpressionSyntax { Parent: ImplicitArrayCreationExpressionSyntax implicitArray }:
                return TargetTypeName(implicitArray, sampleElementName);
            case InitializerExpressionSyntax { Parent: ObjectCreationExpressionSyntax { Type: GenericNameSyntax { TypeArgumentList.Arguments.Count: 1 } generic } }:
                return LastIdentifier(generic.TypeArgumentList.Arguments[0]);
            case AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "Context" } }:
                return "WarmupExample";
            case AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "Examples" } }:
                return "WarmupExample";
            default:
                return string.Empty;
        }
    }

    private static AssignmentInfo ReadValue(string name, LocationInfo? nameLocation, ExpressionSyntax value)
    {
        LocationInfo? valueLocation = LocationInfo.From(value);
        switch (value)
        {
            case ArrayCreationExpressionSyntax array:
            {
                ArrayTypeSyntax arrayType = array.Type;
                string element = DTypeMap.NormalizeWritten(arrayType.ElementType.ToString());
                for (int i = 1; i < arrayType.RankSpecifiers.Count; i++)
                {
                    element += "[]";
                }

                int rank = arrayType.RankSpecifiers[0].Rank;
                List<int> lengths = array.Initializer is { } init
                    ? Lengths(init, rank)
                    : arrayType.RankSpecifiers[0].Sizes.Select(s => s is LiteralExpressionSyntax { Token.Value: int n } ? n : -1).ToList();
                return new AssignmentInfo(name, nameLocation, element, rank, lengths.ToEquatableArray(), valueLocation);
            }

            case ImplicitArrayCreationExpressionSyntax implicitArray:
            {
                int rank = implicitArray.Commas.Count + 1;
                return new AssignmentInfo(name, nameLocation, null, rank, Lengths(implicitArray.Initializer, rank).ToEquatableArray(), valueLocation);
            }

            case CollectionExpressionSyntax collection:
            {
                int length = collection.Elements.All(e => e is ExpressionElementSyntax) ? collection.Elements.Count : -1;
                return new AssignmentInfo(name, nameLocation, null, 1, new[] { length }.ToEquatableArray(), valueLocation);
            }

            case LiteralExpressionSyntax literal when !literal.IsKind(SyntaxKind.NullLiteralExpression) && !literal.IsKind(SyntaxKind.DefaultLiteralExpression):
                return new AssignmentInfo(name, nameLocation, null, 0, EquatableArray<int>.Empty, valueLocation);

            default:
                return new AssignmentInfo(name, nameLocation, null, -1, EquatableArray<int>.Empty, valueLocation);
        }
    }

    /// <summary>Lengths of each dimension of a rectangular initializer, -1 where it is not a literal list.</summary>
    private static List<int> Lengths(InitializerExpressionSyntax initializer, int rank)
    {
        var lengths = new List<int>();
        InitializerExpressionSyntax? current = initializer;
        for (int d = 0; d < rank; d++)
        {
            if (current is null)
            {
                lengths.Add(-1);
                continue;
            }

            lengths.Add(current.Expressions.Count);
            current = current.Expressions.Count > 0 ? current.Expressions[0] as InitializerExpressionSyntax : null;
        }

        return lengths;
    }

    private static string LastIdentifier(TypeSyntax type) => type switch
    {
        QualifiedNameSyntax qualified => LastIdentifier(qualified.Right),
        AliasQualifiedNameSyntax alias => LastIdentifier(alias.Name),
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        _ => type.ToString(),
    };

    private static string Keyword(TypeDeclarationSyntax type) => type switch
    {
        RecordDeclarationSyntax record => record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record",
        StructDeclarationSyntax => "struct",
        InterfaceDeclarationSyntax => "interface",
        _ => "class",
    };

    private static string TypeParameters(TypeDeclarationSyntax type)
        => type.TypeParameterList is null ? string.Empty : "<" + string.Join(", ", type.TypeParameterList.Parameters.Select(p => p.Identifier.ValueText)) + ">";
}
