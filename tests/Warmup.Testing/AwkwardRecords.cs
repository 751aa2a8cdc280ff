using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Testing;

/// <summary>Records that stress a lossless codec (the JSON form): every dtype, special values, the fill rule, unsorted maps.</summary>
public static class AwkwardRecords
{
    /// <summary>A predict log of model <c>all</c> with every supported dtype, NaN and infinities, and a non-UTF-8 string.</summary>
    public static PredictionLog EveryDtype() => Predict("all",
        ("f", TensorProtoConverter.FromArray([float.NaN, float.PositiveInfinity, -0f, 1e-45f, 3.4028235e38f], 5)),
        ("d", TensorProtoConverter.FromArray([double.NegativeInfinity, 0.1, 5e-324], 3)),
        ("h", TensorProtoConverter.FromArray([(Half)0.333f, Half.MaxValue], 2)),
        ("bf", TensorProtoConverter.FromArray([BFloat16.FromSingle(1.5f), BFloat16.FromSingle(-2f)], 2)),
        ("i8", TensorProtoConverter.FromArray(new sbyte[] { -128, 127 }, 2)),
        ("u8", TensorProtoConverter.FromArray(new byte[] { 0, 255 }, 2)),
        ("i16", TensorProtoConverter.FromArray(new short[] { short.MinValue, 1 }, 2)),
        ("u16", TensorProtoConverter.FromArray(new ushort[] { ushort.MaxValue, 2 }, 2)),
        ("i32", TensorProtoConverter.FromArray([int.MinValue], 1)),
        ("u32", TensorProtoConverter.FromArray([uint.MaxValue, 0u], 2)),
        ("i64", TensorProtoConverter.FromArray([long.MinValue, long.MaxValue], 2)),
        ("u64", TensorProtoConverter.FromArray([ulong.MaxValue, 1ul], 2)),
        ("b", TensorProtoConverter.FromArray([true, false], 2)),
        ("s", TensorProtoConverter.FromStrings(new[] { "héllo"u8.ToArray(), new byte[] { 0xff, 0x00, 0xc3 } }, 2)));

    /// <summary>
    /// A predict log of model <c>m</c>, version 42: <c>zeta</c> float [2,2] under the fill rule (one value, 7, for four
    /// elements), then <c>alpha</c> = [1], an input map written out of key order, as Python writers may.
    /// </summary>
    public static PredictionLog FillRuleAndUnsortedInputs()
    {
        var filled = new TensorProto { Dtype = DataType.DtFloat, TensorShape = TensorShapes.ToProto([2, 2]) };
        filled.FloatVal.Add(7f);
        var log = Predict("m", ("zeta", filled), ("alpha", TensorProtoConverter.FromArray([1f], 1)));
        log.PredictLog.Request.ModelSpec.Version = 42;
        return log;
    }

    private static PredictionLog Predict(string model, params (string Name, TensorProto Tensor)[] inputs)
    {
        var request = new PredictRequest { ModelSpec = new ModelSpec { Name = model } };
        foreach (var (name, tensor) in inputs)
        {
            request.Inputs.Add(name, tensor);
        }

        return new PredictionLog { PredictLog = new PredictLog { Request = request } };
    }
}
