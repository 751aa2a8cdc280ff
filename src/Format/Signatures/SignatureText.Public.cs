// SignatureText.cs is linked into the source generator, where its types stay internal (they are not its API, and a
// second public copy would clash with Warmup.Format's wherever both are referenced). Warmup.Format declares them public
// here, the one place that states their accessibility.
namespace Warmup.Format.Signatures;

public sealed partial class SignatureFile;

public sealed partial class SignatureDefinition;

public sealed partial class SignatureTensor;

public readonly partial struct SignatureDimension;

public sealed partial class SignatureTextError;

public static partial class SignatureText;
