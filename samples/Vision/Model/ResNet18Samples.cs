using Warmup;

namespace Vision;

/// <summary>
/// Warmup samples for ResNet18 (input <c>Input247</c>: float [1,3,224,224], BGR planes minus the ImageNet channel means,
/// as the package's own ResNetPreprocess.onnx makes them). The model takes one fixed shape, so one record covers every
/// request; a second record with different values makes the replay's second pass meet non-constant data.
/// </summary>
[WarmupModel("resnet18")]
public static partial class ResNet18Samples
{
    /// <summary>The per-channel means (B, G, R) of the mean image in ResNetPreprocess.onnx; the server subtracts the same.</summary>
    public static readonly float[] ChannelMeans = [103.0626f, 115.9029f, 123.1516f];

    /// <summary>A mid-grey picture.</summary>
    [WarmupSample]
    public static ServingDefaultInputs Grey => Picture((_, _, _) => 128);

    /// <summary>A diagonal colour gradient: what any photograph exercises, edges and colour.</summary>
    [WarmupSample]
    public static ServingDefaultInputs Gradient => Picture((c, y, x) => (byte)((x + y + c * 85) % 256));

    /// <summary>A 224×224 picture as the model's input: BGR planes minus the channel means.</summary>
    public static ServingDefaultInputs Picture(Func<int, int, int, byte> bgr)
    {
        var input = new float[1, 3, 224, 224];
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < 224; y++)
            {
                for (var x = 0; x < 224; x++)
                {
                    input[0, c, y, x] = bgr(c, y, x) - ChannelMeans[c];
                }
            }
        }

        return new ServingDefaultInputs { Input247 = input };
    }
}
