using Warmup.Format.Tensors;

namespace Warmup.Testing;

/// <summary>Ready-made small models for tests, benchmarks and samples. Weights are deterministic.</summary>
public static class TestModels
{
    /// <summary>TF Serving's canonical example: y = 0.5·x + 2, input <c>x</c> float [batch, 1], output <c>y</c>.</summary>
    public static OnnxModelBuilder HalfPlusTwo() => new OnnxModelBuilder("half_plus_two")
        .Input("x", OnnxElementType.Float, "batch", 1)
        .Initializer("half", [0.5f])
        .Initializer("two", [2f])
        .Node("Mul", ["x", "half"], ["scaled"])
        .Node("Add", ["scaled", "two"], ["y"])
        .Output("y", OnnxElementType.Float, "batch", 1);

    /// <summary>y = x·W + b with x float [batch, <paramref name="inFeatures"/>], y float [batch, <paramref name="outFeatures"/>].</summary>
    public static OnnxModelBuilder MatMulAdd(int inFeatures = 4, int outFeatures = 3) => new OnnxModelBuilder("matmul_add")
        .Input("x", OnnxElementType.Float, "batch", inFeatures)
        .Initializer("W", Weights(inFeatures * outFeatures, seed: 1), inFeatures, outFeatures)
        .Initializer("b", Weights(outFeatures, seed: 2), outFeatures)
        .Node("MatMul", ["x", "W"], ["xw"])
        .Node("Add", ["xw", "b"], ["y"])
        .Output("y", OnnxElementType.Float, "batch", outFeatures);

    /// <summary>
    /// Two Conv+Relu layers over x float [batch, 3, height, width] with dynamic batch, height and width: the shape-dependent
    /// kernel selection and memory planning make its first run per shape slow.
    /// </summary>
    public static OnnxModelBuilder ConvRelu(int channels = 16) => new OnnxModelBuilder("conv_relu")
        .Input("x", OnnxElementType.Float, "batch", 3, "height", "width")
        .Initializer("W1", Weights(channels * 3 * 3 * 3, seed: 3), channels, 3, 3, 3)
        .Initializer("B1", Weights(channels, seed: 4), channels)
        .Initializer("W2", Weights(channels * channels * 3 * 3, seed: 5), channels, channels, 3, 3)
        .Initializer("B2", Weights(channels, seed: 6), channels)
        .Node("Conv", ["x", "W1", "B1"], ["c1"], ("pads", new long[] { 1, 1, 1, 1 }), ("kernel_shape", new long[] { 3, 3 }))
        .Node("Relu", ["c1"], ["r1"])
        .Node("Conv", ["r1", "W2", "B2"], ["c2"], ("pads", new long[] { 1, 1, 1, 1 }), ("kernel_shape", new long[] { 3, 3 }))
        .Node("Relu", ["c2"], ["y"])
        .Output("y", OnnxElementType.Float, "batch", channels, "height", "width");

    /// <summary>
    /// <paramref name="layers"/> Conv+Relu layers of <paramref name="channels"/> channels over x float [batch, 3, height, width]:
    /// a run of many short kernels, so ONNX Runtime's terminate flag (checked between kernels) stops it soon after it is set.
    /// </summary>
    public static OnnxModelBuilder DeepConv(int layers = 24, int channels = 8)
    {
        var builder = new OnnxModelBuilder("deep_conv").Input("x", OnnxElementType.Float, "batch", 3, "height", "width");
        var previous = "x";
        for (var layer = 0; layer < layers; layer++)
        {
            var inChannels = layer == 0 ? 3 : channels;
            var output = layer == layers - 1 ? "y" : $"r{layer}";
            builder
                .Initializer($"W{layer}", Weights(channels * inChannels * 3 * 3, seed: 10 + layer), channels, inChannels, 3, 3)
                .Node("Conv", [previous, $"W{layer}"], [$"c{layer}"], ("pads", new long[] { 1, 1, 1, 1 }), ("kernel_shape", new long[] { 3, 3 }))
                .Node("Relu", [$"c{layer}"], [output]);
            previous = output;
        }

        return builder.Output("y", OnnxElementType.Float, "batch", channels, "height", "width");
    }

    /// <summary>y = Identity(x) for one element type, x of shape [n].</summary>
    public static OnnxModelBuilder Identity(OnnxElementType type) => new OnnxModelBuilder($"identity_{type}".ToLowerInvariant())
        .Input("x", type, "n")
        .Node("Identity", ["x"], ["y"])
        .Output("y", type, "n");

    /// <summary>A model with one string input <c>text</c> [batch] echoed to <c>out</c>.</summary>
    public static OnnxModelBuilder StringInput(string inputName = "text") => new OnnxModelBuilder("string_input")
        .Input(inputName, OnnxElementType.String, "batch")
        .Node("Identity", [inputName], ["out"])
        .Output("out", OnnxElementType.String, "batch");

    /// <summary>y = a + b with a and b float [batch, 3].</summary>
    public static OnnxModelBuilder TwoInputs() => new OnnxModelBuilder("two_inputs")
        .Input("a", OnnxElementType.Float, "batch", 3)
        .Input("b", OnnxElementType.Float, "batch", 3)
        .Node("Add", ["a", "b"], ["y"])
        .Output("y", OnnxElementType.Float, "batch", 3);

    /// <summary>Deterministic small weights in [-0.5, 0.5).</summary>
    public static float[] Weights(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() - 0.5);
        }

        return values;
    }
}
