using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format.Tests;

public sealed class RequestShapeTests
{
    private static PredictRequest Request(string signature, params (string Name, TensorProto Tensor)[] inputs)
    {
        var request = new PredictRequest { ModelSpec = new ModelSpec { Name = "m", SignatureName = signature } };
        foreach (var (name, tensor) in inputs)
        {
            request.Inputs[name] = tensor;
        }

        return request;
    }

    [Fact]
    public void Shapes_ignore_values_and_input_order_and_resolve_the_default_signature()
    {
        var a = RequestShape.FromPredictRequest(Request("", ("b", TensorProtoConverter.FromArray(new long[] { 1, 2 }, 2)), ("a", TensorProtoConverter.FromArray(new float[] { 1 }, 1, 1))));
        var b = new RequestShape("serving_default", [new RequestInputShape("a", DataType.DtFloat, [1, 1]), new RequestInputShape("b", DataType.DtInt64, [2])]);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal("serving_default a:DT_FLOAT[1,1] b:DT_INT64[2]", a.ToString());
        Assert.NotEqual(a, new RequestShape("other", b.Inputs));
        Assert.NotEqual(a, new RequestShape(null, [new RequestInputShape("a", DataType.DtFloat, [1, 2]), new RequestInputShape("b", DataType.DtInt64, [2])]));
        Assert.NotEqual(a, new RequestShape(null, [new RequestInputShape("a", DataType.DtDouble, [1, 1]), new RequestInputShape("b", DataType.DtInt64, [2])]));
    }

    [Fact]
    public void Every_log_type_has_its_request_shapes()
    {
        var examples = new Input { ExampleList = new ExampleList { Examples = { new Example(), new Example(), new Example() } } };
        var predict = new PredictionLog { PredictLog = new PredictLog { Request = Request("s", ("x", TensorProtoConverter.FromArray(new float[4], 4, 1))) } };
        var classify = new PredictionLog { ClassifyLog = new ClassifyLog { Request = new ClassificationRequest { ModelSpec = new ModelSpec { SignatureName = "c" }, Input = examples } } };
        var multi = new PredictionLog
        {
            MultiInferenceLog = new MultiInferenceLog
            {
                Request = new MultiInferenceRequest
                {
                    Input = examples,
                    Tasks = { new InferenceTask { ModelSpec = new ModelSpec { SignatureName = "c" } }, new InferenceTask { ModelSpec = new ModelSpec { SignatureName = "r" } } },
                },
            },
        };
        Assert.Equal("s x:DT_FLOAT[4,1]", Assert.Single(RequestShape.FromLog(predict)).ToString());
        Assert.Equal("c tf.Examples:DT_STRING[3]", Assert.Single(RequestShape.FromLog(classify)).ToString());
        Assert.Equal(["c tf.Examples:DT_STRING[3]", "r tf.Examples:DT_STRING[3]"], RequestShape.FromLog(multi).Select(s => s.ToString()));
        Assert.Empty(RequestShape.FromLog(new PredictionLog()));
    }
}
