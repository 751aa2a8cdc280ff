using System.Collections.Generic;
using System.Linq;

namespace Warmup.Generator;

/// <summary>
/// The text of WARMUP0021: every type the emitter generates for a model and its properties, read from the same
/// <see cref="ModelUnit"/> the emitter writes from (so it can never disagree with the generated code).
/// </summary>
internal static class GeneratedNames
{
    /// <summary>E.g. <c>Samples.ServingDefaultInputs (serving_default: X float[,])</c>, one entry per generated type.</summary>
    public static string Describe(ModelUnit unit)
    {
        string owner = string.Concat(unit.Type.ContainingTypes.Select(t => t.Name + ".")) + unit.Type.Name + ".";
        string examples = "Examples " + Display(Emitter.ExamplesType(unit)) + ", Context " + unit.ExampleTypeName;
        var entries = new List<string>();
        foreach (SignatureModel signature in unit.Signatures)
        {
            string properties = signature.Method == "predict"
                ? string.Join(", ", signature.Inputs.Select(Describe))
                : examples;
            string method = signature.Method == "predict" ? string.Empty : ", " + signature.Method;
            entries.Add(owner + signature.InputsTypeName + " (" + signature.Key + method + ": " + (properties.Length == 0 ? "no inputs" : properties) + ")");
        }

        if (unit.Signatures.Any(s => s.Method != "predict"))
        {
            string features = unit.Features.Count == 0
                ? "no features yet: declare each feature on the model class with [WarmupFeature]"
                : "features declared with [WarmupFeature]: " + string.Join(", ", unit.Features.Select(f => f.PropertyName.TrimStart('@') + " " + Display(Emitter.FeatureType(f.Kind))));
            entries.Add(owner + unit.ExampleTypeName + " (" + features + ")");
            entries.Add(owner + unit.MultiInferenceTypeName + " (classify and regress signatures in one request: " + examples + ")");
        }

        return string.Join("; ", entries);
    }

    private static string Describe(InputModel input)
    {
        string text = input.PropertyName.TrimStart('@') + " " + Display(Emitter.PropertyType(input));
        return input.BytesPropertyName is null
            ? text
            : text + " or " + input.BytesPropertyName + " " + Emitter.BytesPropertyType(input);
    }

    private static string Display(string type) => type.Replace("global::System.Collections.Generic.", string.Empty).Replace("global::", string.Empty);
}
