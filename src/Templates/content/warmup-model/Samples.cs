using Warmup;

namespace WarmupModel1;

/// <summary>
/// The warmup samples of model <c>warmup_model_name</c>. Each <c>[WarmupSample]</c> becomes records of the warmup file
/// <c>models/warmup_model_name/1/assets.extra/tf_serving_warmup_requests</c> when the project builds; the generator types
/// <c>ServingDefaultInputs</c> from the signature, so a wrong input name, dtype or rank does not compile.
/// Warmup pays most when the samples have the shapes real requests have: one sample per typical shape, with
/// <c>BatchSizes</c> for the batch sizes the server sees.
/// </summary>
[WarmupModel("warmup_model_name")]
#if (!hasModel)
// The signature, declared by hand: one input "x", DT_FLOAT, [batch, 4] (-1 = any size). Write your model's inputs here
// (name, dtype, dimensions), or bind the model file instead (see the project file) and delete this attribute.
[WarmupInput("x", WarmupDType.Float, -1, 4)]
#endif
public static partial class WarmupModel1Samples
{
#if (hasModel)
    /// <summary>
    /// Zeros shaped from the model's signature (fixed dimensions as declared, every other dimension 1), in batches of 1
    /// and 8: a starting point. Replace it with typical inputs, e.g. <c>new() { Input = new float[,] { { … } } }</c>.
    /// </summary>
    [WarmupSample(BatchSizes = new[] { 1, 8 })]
    public static ServingDefaultInputs Zeros => SignatureFill.Zeros<ServingDefaultInputs>(WarmupModelName, "MODEL_FILE_NAME", ServingDefaultInputs.SignatureName);
#else
    /// <summary>One row, tiled to batches of 1 and 8 (two records).</summary>
    [WarmupSample(BatchSizes = new[] { 1, 8 })]
    public static ServingDefaultInputs One => new() { X = new float[,] { { 0.5f, 1f, 1.5f, 2f } } };
#endif
}
