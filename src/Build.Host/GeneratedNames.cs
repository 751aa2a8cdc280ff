using System.Reflection;

namespace Warmup.Build.Host;

/// <summary>
/// The inputs types the generator made for a model, read back from the compiled assembly (so they are the generator's
/// own names, not a second copy of its naming rule): what a first sample can use, for the "no samples" warnings.
/// </summary>
internal static class GeneratedNames
{
    /// <summary>E.g. <c>MyModels.Samples: ServingDefaultInputs (serving_default: X float[,])</c>, or null when not found.</summary>
    public static string? Describe(Assembly? assembly, string model)
    {
        if (assembly is null)
        {
            return null;
        }

        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            types = [.. ex.Types.OfType<Type>()];
        }

        // Every generated model class has `public const string WarmupModelName`; each inputs type `public const string SignatureName`.
        var modelClass = types.FirstOrDefault(t => Constant(t, "WarmupModelName") == model);
        if (modelClass is null)
        {
            return null;
        }

        var inputs = modelClass.GetNestedTypes(BindingFlags.Public)
            .Where(t => Constant(t, "SignatureName") is not null)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => $"{t.Name} ({Constant(t, "SignatureName")}: {string.Join(", ", t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => $"{p.Name} {CSharpName(p.PropertyType)}"))})")
            .ToList();
        return inputs.Count == 0 ? null : $"{modelClass.FullName?.Replace('+', '.')}: {string.Join("; ", inputs)}";
    }

    private static string? Constant(Type type, string name) =>
        type.GetField(name, BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field ? field.GetRawConstantValue() as string : null;

    private static string CSharpName(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return CSharpName(underlying);
        }

        if (type.IsArray)
        {
            return CSharpName(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (type.IsGenericType)
        {
            return type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)] + "<" + string.Join(", ", type.GetGenericArguments().Select(CSharpName)) + ">";
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Single => "float",
            TypeCode.Double => "double",
            TypeCode.Int64 => "long",
            TypeCode.Int32 => "int",
            TypeCode.Int16 => "short",
            TypeCode.Byte => "byte",
            TypeCode.SByte => "sbyte",
            TypeCode.UInt16 => "ushort",
            TypeCode.UInt32 => "uint",
            TypeCode.UInt64 => "ulong",
            TypeCode.Boolean => "bool",
            TypeCode.String => "string",
            _ => type.Name,
        };
    }
}
