using Warmup;

namespace HalfPlusTwo;

/// <summary>
/// Warmup samples for half_plus_two. The generator reads the model's signature (input <c>x</c>, DT_FLOAT [batch, 1])
/// from the build, so <c>ServingDefaultInputs.X</c> is a <c>float[,]</c>: a wrong name, dtype or rank does not compile.
/// </summary>
[WarmupModel("half_plus_two")]
public static partial class HalfPlusTwoSamples
{
    /// <summary>One value, tiled to batches of 1, 8 and 32 (three records).</summary>
    [WarmupSample(BatchSizes = new[] { 1, 8, 32 })]
    public static ServingDefaultInputs One => new() { X = new float[,] { { 1f } } };

    /// <summary>A small batch of typical values (one record).</summary>
    [WarmupSample]
    public static ServingDefaultInputs Typical => new() { X = new float[,] { { -1f }, { 0f }, { 2.5f }, { 10f } } };
}
