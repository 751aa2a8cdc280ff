using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Warmup.Format.Protos.TensorFlow;

namespace Warmup.Runtime.Hosting;

/// <summary>Reads a <see cref="NamedOnnxValue"/> tensor's dtype and shape, and copies its values for the recorder.</summary>
internal static class NamedInputs
{
    /// <summary>The input's dtype and shape, with its values copied when <paramref name="copyValues"/> (a non-tensor gets DT_INVALID []).</summary>
    public static WarmupRecorder.PendingInput Describe(NamedOnnxValue input, bool copyValues) => input.Value switch
    {
        Tensor<float> t => Numeric(input.Name, DataType.DtFloat, t, copyValues),
        Tensor<double> t => Numeric(input.Name, DataType.DtDouble, t, copyValues),
        Tensor<long> t => Numeric(input.Name, DataType.DtInt64, t, copyValues),
        Tensor<int> t => Numeric(input.Name, DataType.DtInt32, t, copyValues),
        Tensor<short> t => Numeric(input.Name, DataType.DtInt16, t, copyValues),
        Tensor<sbyte> t => Numeric(input.Name, DataType.DtInt8, t, copyValues),
        Tensor<byte> t => Numeric(input.Name, DataType.DtUint8, t, copyValues),
        Tensor<ushort> t => Numeric(input.Name, DataType.DtUint16, t, copyValues),
        Tensor<uint> t => Numeric(input.Name, DataType.DtUint32, t, copyValues),
        Tensor<ulong> t => Numeric(input.Name, DataType.DtUint64, t, copyValues),
        Tensor<bool> t => Numeric(input.Name, DataType.DtBool, t, copyValues),
        Tensor<Float16> t => Numeric(input.Name, DataType.DtHalf, t, copyValues),
        Tensor<BFloat16> t => Numeric(input.Name, DataType.DtBfloat16, t, copyValues),
        Tensor<string> t => new(input.Name, DataType.DtString, Shape(t),
            Strings: copyValues ? t.ToArray().Select(s => Encoding.UTF8.GetBytes(s ?? string.Empty)).ToArray() : null),
        _ => new(input.Name, DataType.DtInvalid, []),
    };

    private static WarmupRecorder.PendingInput Numeric<T>(string name, DataType dtype, Tensor<T> tensor, bool copyValues) where T : unmanaged =>
        new(name, dtype, Shape(tensor), Content: copyValues ? MemoryMarshal.AsBytes(tensor.ToDenseTensor().Buffer.Span).ToArray() : null);

    private static long[] Shape<T>(Tensor<T> tensor)
    {
        var dims = tensor.Dimensions;
        var shape = new long[dims.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = dims[i];
        }

        return shape;
    }
}
