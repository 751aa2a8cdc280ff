// TF Serving's record limit, shared as source with the generator (netstandard2.0, which cannot reference
// Warmup.Format): the build, the tool, the replay and the generator's WARMUP0011 count against the same number.
namespace Warmup.Format;

/// <summary>The limits of TF Serving that the generator also checks (public as <see cref="TfServing"/>'s constants).</summary>
internal static class TfServingLimits
{
    /// <summary>TF Serving's <c>kMaxNumRecords</c>: more warmup records fail the model load.</summary>
    public const int MaxRecords = 1000;
}
