using System.Reflection;
using Warmup.Format.Signatures;

namespace WarmupModel1;

/// <summary>
/// Builds an inputs object of zeros from the model's real signature: fixed dimensions as the model declares them, every
/// other dimension 1, text inputs empty. It runs in the build's sample host, after the build laid the model out in
/// <c>models/&lt;name&gt;/&lt;version&gt;/</c> beside this assembly. Delete this file once the samples are written by hand.
/// </summary>
internal static class SignatureFill
{
    public static T Zeros<T>(string modelName, string modelFileName, string signatureKey)
        where T : new()
    {
        var versionDirectory = Path.Combine(Path.GetDirectoryName(typeof(SignatureFill).Assembly.Location)!, "models", modelName, "1");
        var modelPath = File.Exists(Path.Combine(versionDirectory, modelFileName)) ? Path.Combine(versionDirectory, modelFileName) : versionDirectory;
        var signature = ModelSignatureReader.Read(modelPath, modelName).File.Signatures.Single(s => s.Key == signatureKey);
        var inputs = new T();
        var properties = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        foreach (var input in signature.Inputs)
        {
            // The generator names each property by the input in PascalCase (query_ids → QueryIds); the …Bytes twin of a
            // DT_STRING input is left unset.
            var property = properties.First(p => Key(p.Name) == Key(input.Name));
            property.SetValue(inputs, Zero(property.PropertyType, input.Shape));
        }

        return inputs;
    }

    private static object Zero(Type type, IReadOnlyList<SignatureDimension>? shape)
    {
        if (!type.IsArray)
        {
            // A scalar: float?, long?, string?…
            var scalar = Nullable.GetUnderlyingType(type) ?? type;
            return scalar == typeof(string) ? string.Empty : Activator.CreateInstance(scalar)!;
        }

        var element = type.GetElementType()!;
        var lengths = shape is null ? new[] { 1 } : shape.Select(d => d.IsFixed ? checked((int)d.Size) : 1).ToArray();
        var array = Array.CreateInstance(element, lengths);
        if (element == typeof(string))
        {
            var index = new int[lengths.Length];
            for (var flat = 0; flat < array.Length; flat++)
            {
                for (int dimension = lengths.Length - 1, rest = flat; dimension >= 0; dimension--)
                {
                    index[dimension] = rest % lengths[dimension];
                    rest /= lengths[dimension];
                }

                array.SetValue(string.Empty, index);
            }
        }

        return array;
    }

    private static string Key(string name) => new(name.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
}
