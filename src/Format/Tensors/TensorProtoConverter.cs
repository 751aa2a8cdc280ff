using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Warmup.Format.Protos.TensorFlow;

namespace Warmup.Format.Tensors;

/// <summary>
/// Converts between <see cref="TensorProto"/> and .NET values with TensorFlow's rules: <c>tensor_content</c> wins when
/// set; otherwise the typed <c>*_val</c> field is used, its last value repeating to fill the shape, and an empty field
/// meaning zeros. Writing produces the compact form <c>tf.make_tensor_proto</c> writes.
/// </summary>
public static class TensorProtoConverter
{
    // TensorFlow's TensorShape::MaxDimensions(): a deeper shape is malformed, and checking first keeps error messages short.
    private const int MaxRank = 254;

    /// <summary>Decodes <paramref name="proto"/>. Every problem raises <see cref="WarmupFormatException"/> naming <paramref name="what"/>.</summary>
    /// <param name="proto">The tensor.</param>
    /// <param name="what">How to name the tensor in errors, e.g. <c>input "x"</c>.</param>
    /// <param name="limits">Size bounds, checked before anything is allocated.</param>
    public static TensorData ToTensorData(TensorProto proto, string what = "tensor", TensorLimits? limits = null)
    {
        var (dtype, shape, count) = Check(proto, what, limits);
        var values = dtype.IsString
            ? Fill(proto.StringVal, count, v => v.ToByteArray())
            : proto.TensorContent.IsEmpty ? ReadTyped(proto, dtype, count) : ReadContent(proto.TensorContent.Span, dtype, (int)count);
        return TensorData.Create(dtype, shape, values);
    }

    /// <summary>
    /// Checks <paramref name="proto"/> the way <see cref="ToTensorData"/> does (dtype, shape, limits, content size, value
    /// count) without decoding any value, and returns its shape.
    /// </summary>
    public static long[] Validate(TensorProto proto, string what = "tensor", TensorLimits? limits = null) => Check(proto, what, limits).Shape;

    private static (DTypeInfo DType, long[] Shape, long Count) Check(TensorProto proto, string what, TensorLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(proto);
        limits ??= TensorLimits.Default;
        var dtype = DTypes.Get(proto.Dtype);
        if (!dtype.IsSupported)
        {
            throw new WarmupFormatException(WarmupErrorKind.UnsupportedDtype,
                $"{what} has dtype {dtype.Name}, which ONNX Runtime cannot run from .NET. Supported: " +
                string.Join(", ", DTypes.All.Where(d => d.IsSupported).Select(d => d.Name)) + ".");
        }

        if (proto.TensorShape is { UnknownRank: true })
        {
            throw Invalid(what, "has unknown rank; a request tensor needs a concrete shape.");
        }

        if (proto.TensorShape is { } shapeProto && shapeProto.Dim.Count > MaxRank)
        {
            throw Invalid(what, $"has {shapeProto.Dim.Count} dimensions; TensorFlow allows at most {MaxRank}.");
        }

        var shape = TensorShapes.FromProto(proto.TensorShape);
        var count = TensorShapes.ElementCount(shape, what, limits);
        if (count > Array.MaxLength)
        {
            throw Invalid(what, $"has shape {TensorShapes.Format(shape)} whose element count exceeds the largest .NET array ({Array.MaxLength}).");
        }

        var bytes = DecodedBytes(proto, dtype, count);
        if (bytes > limits.MaxBytes)
        {
            throw Invalid(what, $"with shape {TensorShapes.Format(shape)} needs {bytes} bytes decoded, above the limit of {limits.MaxBytes}.");
        }

        if (!dtype.IsString && !proto.TensorContent.IsEmpty)
        {
            if (proto.TensorContent.Length != count * dtype.ElementSize)
            {
                throw Invalid(what, $"has {proto.TensorContent.Length} bytes of tensor_content, but shape {TensorShapes.Format(shape)} of {dtype.Name} needs {count * dtype.ElementSize}.");
            }
        }
        else
        {
            var (field, values) = TypedField(proto, dtype);
            if (values > count)
            {
                throw Invalid(what, $"has {values} value(s) in {field}, more than the {count} its shape {TensorShapes.Format(shape)} holds.");
            }
        }

        return (dtype, shape, count);
    }

    // Decoded size: elements × size; a string element costs its bytes (the fill rule repeats the last string) plus the
    // per-element overhead of its managed and native copies. Computed in decimal so that no product can overflow.
    internal static decimal DecodedBytes(TensorProto proto, DTypeInfo dtype, long count) => dtype.IsString
        ? count * (decimal)TensorLimits.StringElementOverheadBytes + StringBytes(proto.StringVal, count)
        : count * (decimal)dtype.ElementSize;

    private static decimal StringBytes(RepeatedField<ByteString> values, long count)
    {
        decimal total = 0;
        for (var i = 0; i < values.Count && i < count; i++)
        {
            total += values[i].Length;
        }

        return values.Count is > 0 and var n && n < count ? total + (count - n) * (decimal)values[n - 1].Length : total;
    }

    internal static (string Field, int Count) TypedField(TensorProto proto, DTypeInfo dtype) => dtype.DataType switch
    {
        DataType.DtFloat => ("float_val", proto.FloatVal.Count),
        DataType.DtDouble => ("double_val", proto.DoubleVal.Count),
        DataType.DtInt32 or DataType.DtInt16 or DataType.DtInt8 or DataType.DtUint8 or DataType.DtUint16 => ("int_val", proto.IntVal.Count),
        DataType.DtInt64 => ("int64_val", proto.Int64Val.Count),
        DataType.DtUint32 => ("uint32_val", proto.Uint32Val.Count),
        DataType.DtUint64 => ("uint64_val", proto.Uint64Val.Count),
        DataType.DtBool => ("bool_val", proto.BoolVal.Count),
        DataType.DtHalf or DataType.DtBfloat16 => ("half_val", proto.HalfVal.Count),
        DataType.DtString => ("string_val", proto.StringVal.Count),
        _ => ("(none)", 0),
    };

    /// <summary>Decodes <paramref name="proto"/> and returns its values as <typeparamref name="T"/>[].</summary>
    public static T[] ToArray<T>(TensorProto proto, string what = "tensor") => ToTensorData(proto, what).GetValues<T>();

    /// <summary>
    /// Encodes a numeric, bool, <see cref="Half"/> or <see cref="BFloat16"/> tensor the way <c>tf.make_tensor_proto</c> does:
    /// <c>tensor_content</c> for more than one element, the typed field for a single element; bool and uint16, which
    /// <c>tf.make_tensor_proto</c> never writes as <c>tensor_content</c>, always go to their typed field.
    /// </summary>
    public static TensorProto FromArray<T>(T[] values, params long[] shape) where T : unmanaged =>
        FromTensorData(TensorData.Create(values, shape));

    /// <summary>Encodes a DT_STRING tensor of raw byte strings (<c>string_val</c>).</summary>
    public static TensorProto FromStrings(IReadOnlyList<byte[]> values, params long[] shape) =>
        FromTensorData(TensorData.CreateStrings(values.ToArray(), shape));

    /// <summary>Encodes a DT_STRING tensor of text, as UTF-8 (<c>string_val</c>).</summary>
    public static TensorProto FromStrings(IReadOnlyList<string> values, params long[] shape) =>
        FromStrings(values.Select(Encoding.UTF8.GetBytes).ToArray(), shape);

    /// <summary>
    /// Encodes <paramref name="values"/> into the typed field (<c>float_val</c>, <c>string_val</c>…) of a tensor of
    /// <paramref name="shape"/>, which may hold more elements: TensorFlow's fill rule repeats the last value (none means
    /// zeros). Nothing is expanded.
    /// </summary>
    internal static TensorProto FromFillRule(TensorData values, long[] shape)
    {
        var proto = new TensorProto { Dtype = values.DataType, TensorShape = TensorShapes.ToProto(shape) };
        if (values.Values is byte[][] strings)
        {
            proto.StringVal.AddRange(strings.Select(ByteString.CopyFrom));
        }
        else
        {
            AddTypedValues(proto, values.Values);
        }

        return proto;
    }

    /// <summary>Encodes <paramref name="tensor"/> in TF's compact form.</summary>
    public static TensorProto FromTensorData(TensorData tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var proto = new TensorProto
        {
            Dtype = tensor.DataType,
            TensorShape = TensorShapes.ToProto(tensor.GetShape()),
        };

        switch (tensor.Values)
        {
            case byte[][] strings:
                proto.StringVal.AddRange(strings.Select(ByteString.CopyFrom));
                return proto;
            // Matched by dtype, not array type: the runtime lets a short[] pass as ushort[].
            case var _ when tensor.DataType is DataType.DtBool or DataType.DtUint16:
                AddTypedValues(proto, tensor.Values);
                return proto;
            case var _ when tensor.ElementCount > 1:
                proto.TensorContent = ByteString.CopyFrom(RawBytes(tensor.Values));
                return proto;
            default:
                AddTypedValues(proto, tensor.Values);
                return proto;
        }
    }

    /// <summary>
    /// The values of a numeric tensor as little-endian bytes in row-major order: the layout of <c>tensor_content</c> (and of
    /// Triton's raw input files).
    /// </summary>
    /// <exception cref="ArgumentException">The tensor holds strings.</exception>
    public static byte[] ToRawBytes(TensorData tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.Values is byte[][]
            ? throw new ArgumentException("A string tensor has no raw byte layout.", nameof(tensor))
            : RawBytes(tensor.Values).ToArray();
    }

    private static ReadOnlySpan<byte> RawBytes(Array values) => values switch
    {
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        byte[] a => a,
        ushort[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        uint[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ulong[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        bool[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        Half[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        BFloat16[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        _ => throw new ArgumentException($"{values.GetType().Name} is not a supported tensor array.", nameof(values)),
    };

    // TF's _TENSOR_CONTENT_TYPES lacks bool and uint16, so tf.make_tensor_proto writes every value to the typed field.
    private static void AddTypedValues(TensorProto proto, Array values)
    {
        foreach (var value in values)
        {
            AddTypedValue(proto, value);
        }
    }

    private static void AddTypedValue(TensorProto proto, object value)
    {
        switch (value)
        {
            case float v: proto.FloatVal.Add(v); break;
            case double v: proto.DoubleVal.Add(v); break;
            case int v: proto.IntVal.Add(v); break;
            case short v: proto.IntVal.Add(v); break;
            case sbyte v: proto.IntVal.Add(v); break;
            case byte v: proto.IntVal.Add(v); break;
            case ushort v: proto.IntVal.Add(v); break;
            case long v: proto.Int64Val.Add(v); break;
            case uint v: proto.Uint32Val.Add(v); break;
            case ulong v: proto.Uint64Val.Add(v); break;
            case bool v: proto.BoolVal.Add(v); break;
            case Half v: proto.HalfVal.Add(BitConverter.HalfToUInt16Bits(v)); break;
            case BFloat16 v: proto.HalfVal.Add(v.Bits); break;
            default: throw new ArgumentException($"{value.GetType().Name} is not a supported tensor element type.", nameof(value));
        }
    }

    private static Array ReadContent(ReadOnlySpan<byte> content, DTypeInfo dtype, int n)
    {
        return dtype.DataType switch
        {
            DataType.DtFloat => MemoryMarshal.Cast<byte, float>(content).ToArray(),
            DataType.DtDouble => MemoryMarshal.Cast<byte, double>(content).ToArray(),
            DataType.DtInt32 => MemoryMarshal.Cast<byte, int>(content).ToArray(),
            DataType.DtInt64 => MemoryMarshal.Cast<byte, long>(content).ToArray(),
            DataType.DtInt16 => MemoryMarshal.Cast<byte, short>(content).ToArray(),
            DataType.DtInt8 => MemoryMarshal.Cast<byte, sbyte>(content).ToArray(),
            DataType.DtUint8 => content.ToArray(),
            DataType.DtUint16 => MemoryMarshal.Cast<byte, ushort>(content).ToArray(),
            DataType.DtUint32 => MemoryMarshal.Cast<byte, uint>(content).ToArray(),
            DataType.DtUint64 => MemoryMarshal.Cast<byte, ulong>(content).ToArray(),
            DataType.DtHalf => MemoryMarshal.Cast<byte, Half>(content).ToArray(),
            DataType.DtBfloat16 => MemoryMarshal.Cast<byte, BFloat16>(content).ToArray(),
            // Any non-zero byte is true, as in NumPy; a bare reinterpretation could produce invalid bools.
            DataType.DtBool => ToBools(content, n),
            _ => throw new InvalidOperationException($"No decoder for {dtype.Name}."),
        };
    }

    private static bool[] ToBools(ReadOnlySpan<byte> content, int count)
    {
        var values = new bool[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = content[i] != 0;
        }

        return values;
    }

    private static Array ReadTyped(TensorProto proto, DTypeInfo dtype, long count) => dtype.DataType switch
    {
        DataType.DtFloat => Fill(proto.FloatVal, count, v => v),
        DataType.DtDouble => Fill(proto.DoubleVal, count, v => v),
        DataType.DtInt32 => Fill(proto.IntVal, count, v => v),
        DataType.DtInt16 => Fill(proto.IntVal, count, v => unchecked((short)v)),
        DataType.DtInt8 => Fill(proto.IntVal, count, v => unchecked((sbyte)v)),
        DataType.DtUint8 => Fill(proto.IntVal, count, v => unchecked((byte)v)),
        DataType.DtUint16 => Fill(proto.IntVal, count, v => unchecked((ushort)v)),
        DataType.DtInt64 => Fill(proto.Int64Val, count, v => v),
        DataType.DtUint32 => Fill(proto.Uint32Val, count, v => v),
        DataType.DtUint64 => Fill(proto.Uint64Val, count, v => v),
        DataType.DtBool => Fill(proto.BoolVal, count, v => v),
        DataType.DtHalf => Fill(proto.HalfVal, count, v => BitConverter.UInt16BitsToHalf(unchecked((ushort)v))),
        DataType.DtBfloat16 => Fill(proto.HalfVal, count, v => new BFloat16(unchecked((ushort)v))),
        _ => throw new InvalidOperationException($"No decoder for {dtype.Name}."),
    };

    // TF's fill rule: fewer values than the shape needs → the last value repeats; none → zeros (default values).
    // Check() has verified source.Count <= count.
    private static T[] Fill<TSource, T>(RepeatedField<TSource> source, long count, Func<TSource, T> convert)
    {
        var values = new T[count];
        if (source.Count == 0)
        {
            if (typeof(T) == typeof(byte[]))
            {
                Array.Fill(values, (T)(object)Array.Empty<byte>());
            }

            return values;
        }

        if (typeof(T) == typeof(TSource))
        {
            // Same element type (float_val → float[] …): one bulk copy instead of a delegate call per value.
            ((RepeatedField<T>)(object)source).CopyTo(values, 0);
        }
        else
        {
            for (var i = 0; i < source.Count; i++)
            {
                values[i] = convert(source[i]);
            }
        }

        Array.Fill(values, values[source.Count - 1], source.Count, (int)count - source.Count);
        return values;
    }

    private static WarmupFormatException Invalid(string what, string problem) =>
        new(WarmupErrorKind.InvalidTensor, $"{what} {problem}");
}
