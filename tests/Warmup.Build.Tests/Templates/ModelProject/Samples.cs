using Warmup;

namespace ModelProject;

[WarmupModel("half_plus_two")]
public static partial class HalfPlusTwoSamples
{
    __SAMPLES__
}
