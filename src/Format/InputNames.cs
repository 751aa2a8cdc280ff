namespace Warmup.Format;

/// <summary>
/// Maps the input names a request uses to a model's input names, with one rule set for every component:
/// exact name; then TensorFlow tensor names (<c>x:0</c>, <c>serving_default_x:0</c>) reduced to <c>x</c>;
/// then an explicit map supplied by the user.
/// </summary>
internal static class InputNames
{
    /// <summary>Returns the model input that <paramref name="requestName"/> addresses, or null when none does.</summary>
    /// <param name="requestName">The name in the request (a PredictRequest input key or a feature name).</param>
    /// <param name="modelInputs">The model's input names.</param>
    /// <param name="explicitMap">User-supplied request-name → model-input-name pairs, consulted last.</param>
    /// <param name="signatureName">The signature the request addresses (TF2 prefixes tensor names with it).</param>
    public static string? Resolve(string requestName, IReadOnlyCollection<string> modelInputs,
        IReadOnlyDictionary<string, string>? explicitMap = null, string? signatureName = null)
    {
        ArgumentNullException.ThrowIfNull(requestName);
        ArgumentNullException.ThrowIfNull(modelInputs);
        if (Has(modelInputs, requestName))
        {
            return requestName;
        }

        foreach (var candidate in TensorNameCandidates(requestName, TfServing.ResolveSignatureName(signatureName)))
        {
            if (Has(modelInputs, candidate))
            {
                return candidate;
            }
        }

        return explicitMap is not null && explicitMap.TryGetValue(requestName, out var mapped) && Has(modelInputs, mapped)
            ? mapped
            : null;
    }

    // An ordinal set answers in constant time (a model may declare 100k inputs); any other collection is scanned.
    private static bool Has(IReadOnlyCollection<string> names, string name) =>
        names is HashSet<string> set && ReferenceEquals(set.Comparer, StringComparer.Ordinal) ? set.Contains(name) : names.Contains(name, StringComparer.Ordinal);

    /// <summary>At most <paramref name="max"/> quoted names, then how many more, for messages about models with many inputs.</summary>
    public static string List(IEnumerable<string> names, int max = 10)
    {
        ArgumentNullException.ThrowIfNull(names);
        var shown = new List<string>(max);
        var more = 0;
        foreach (var name in names)
        {
            if (shown.Count < max)
            {
                shown.Add($"\"{name}\"");
            }
            else
            {
                more++;
            }
        }

        return string.Join(", ", shown) + (more > 0 ? $" and {more} more" : "");
    }

    /// <summary>A message listing the model's inputs, for "unknown input" errors.</summary>
    public static string DescribeUnknown(string requestName, IReadOnlyCollection<string> modelInputs) =>
        $"input \"{requestName}\" matches none of the model's inputs ({List(modelInputs)}). " +
        "Rename it in the samples, or map it with an explicit input-name map.";

    // "x:0" → "x"; "serving_default_x:0" / "serving_default_x" → "x".
    private static IEnumerable<string> TensorNameCandidates(string name, string signatureName)
    {
        var colon = name.LastIndexOf(':');
        var bare = colon > 0 && name.AsSpan(colon + 1).IndexOfAnyExceptInRange('0', '9') < 0 && colon < name.Length - 1
            ? name[..colon]
            : name;
        if (!ReferenceEquals(bare, name))
        {
            yield return bare;
        }

        var prefix = signatureName + "_";
        if (bare.StartsWith(prefix, StringComparison.Ordinal) && bare.Length > prefix.Length)
        {
            yield return bare[prefix.Length..];
        }
    }
}
