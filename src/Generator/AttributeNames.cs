namespace Warmup.Generator;

/// <summary>
/// The metadata names of the attributes users write. The attributes themselves are Warmup.Format types
/// (src/Format/Attributes), which every model project references (docs/generator.md).
/// </summary>
internal static class AttributeNames
{
    public const string Namespace = "Warmup";
    public const string ModelAttribute = "Warmup.WarmupModelAttribute";
    public const string InputAttribute = "Warmup.WarmupInputAttribute";
    public const string SignatureAttribute = "Warmup.WarmupSignatureAttribute";
    public const string FeatureAttribute = "Warmup.WarmupFeatureAttribute";
}
