using System.Runtime.InteropServices;
using Google.Protobuf;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format.Tests;

public class TensorTests
{
    /// <summary>Three distinct values per supported dtype (strings aside), with the typed field TF stores them in.</summary>
    public static TheoryData<DataType> NumericDtypes => new()
    {
        DataType.DtFloat, DataType.DtDouble, DataType.DtInt32, DataType.DtInt16, DataType.DtInt8, DataType.DtUint8, DataType.DtUint16,
        DataType.DtInt64, DataType.DtUint32, DataType.DtUint64, DataType.DtBool, DataType.DtHalf, DataType.DtBfloat16,
    };

    private static Array Values(DataType dtype) => dtype switch
    {
        DataType.DtFloat => new[] { 1.5f, -2.25f, float.MaxValue },
        DataType.DtDouble => new[] { 1.5, -2.25, double.Epsilon },
        DataType.DtInt32 => new[] { 1, -2, int.MaxValue },
        DataType.DtInt16 => new short[] { 1, -2, short.MinValue },
        DataType.DtInt8 => new sbyte[] { 1, -2, sbyte.MinValue },
        DataType.DtUint8 => new byte[] { 1, 2, 255 },
        DataType.DtUint16 => new ushort[] { 1, 2, ushort.MaxValue },
        DataType.DtInt64 => new[] { 1L, -2L, long.MinValue },
        DataType.DtUint32 => new[] { 1u, 2u, uint.MaxValue },
        DataType.DtUint64 => new[] { 1ul, 2ul, ulong.MaxValue },
        DataType.DtBool => new[] { true, false, true },
        DataType.DtHalf => new[] { (Half)1.5f, (Half)(-2.25f), Half.MaxValue },
        DataType.DtBfloat16 => new[] { (BFloat16)1.5f, (BFloat16)(-2.25f), new BFloat16(0x7F7F) },
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    // Stores values in the dtype's typed field, as TF does.
    private static void AddTyped(TensorProto proto, Array values)
    {
        foreach (var value in values)
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
                default: throw new ArgumentException(value.GetType().Name);
            }
        }
    }

    private static TensorProto Proto(DataType dtype, params long[] shape) => new() { Dtype = dtype, TensorShape = TensorShapes.ToProto(shape) };

    private static Array Slice(Array values, int count)
    {
        var slice = Array.CreateInstance(values.GetType().GetElementType()!, count);
        Array.Copy(values, slice, count);
        return slice;
    }

    [Theory]
    [MemberData(nameof(NumericDtypes))]
    public void Every_dtype_round_trips_through_the_compact_form(DataType dtype)
    {
        var values = Values(dtype);
        var tensor = TensorData.Create(DTypes.Get(dtype), [3, 1], values);
        var proto = TensorProtoConverter.FromTensorData(tensor);

        Assert.Equal(dtype, proto.Dtype);
        Assert.Equal([3L, 1L], TensorShapes.FromProto(proto.TensorShape));
        var back = TensorProtoConverter.ToTensorData(proto);
        Assert.Equal(dtype, back.DataType);
        Assert.Equal([3L, 1L], back.Shape);
        Assert.Equal(values, back.Values);
        Assert.IsType(values.GetType(), back.Values);

        // And through the wire.
        Assert.Equal(values, TensorProtoConverter.ToTensorData(TensorProto.Parser.ParseFrom(proto.ToByteArray())).Values);
    }

    [Theory]
    [MemberData(nameof(NumericDtypes))]
    public void Compact_form_is_the_one_tf_make_tensor_proto_writes(DataType dtype)
    {
        // tf.make_tensor_proto writes tensor_content for arrays of more than one element of the dtypes in its
        // _TENSOR_CONTENT_TYPES (every numeric dtype here but bool and uint16), the typed field otherwise.
        var values = Values(dtype);
        var many = TensorProtoConverter.FromTensorData(TensorData.Create(DTypes.Get(dtype), [3], values));
        var usesContent = dtype is not (DataType.DtBool or DataType.DtUint16);
        if (usesContent)
        {
            Assert.Equal(3 * DTypes.Get(dtype).ElementSize, many.TensorContent.Length);
            Assert.Equal(0, TypedCount(many));
        }
        else
        {
            Assert.True(many.TensorContent.IsEmpty);
            Assert.Equal(3, TypedCount(many));
        }

        // A single element always goes to the typed field.
        var one = TensorProtoConverter.FromTensorData(TensorData.Create(DTypes.Get(dtype), [], Slice(values, 1)));
        Assert.True(one.TensorContent.IsEmpty);
        Assert.Equal(1, TypedCount(one));
        Assert.Empty(one.TensorShape.Dim);

        // No element: nothing but dtype and shape.
        var none = TensorProtoConverter.FromTensorData(TensorData.Create(DTypes.Get(dtype), [0, 2], Slice(values, 0)));
        Assert.True(none.TensorContent.IsEmpty);
        Assert.Equal(0, TypedCount(none));
    }

    private static int TypedCount(TensorProto p) =>
        p.FloatVal.Count + p.DoubleVal.Count + p.IntVal.Count + p.Int64Val.Count + p.Uint32Val.Count + p.Uint64Val.Count + p.BoolVal.Count + p.HalfVal.Count + p.StringVal.Count;

    [Fact]
    public void Bytes_match_tf_make_tensor_proto()
    {
        // tf.make_tensor_proto(np.array([[1, 2], [3, 4]], np.float32)).SerializeToString()
        Assert.Equal("08011208120208021202080222100000803f000000400000404000008040",
            TestData.ToHex(TensorProtoConverter.FromArray(new[] { 1f, 2f, 3f, 4f }, 2, 2).ToByteArray()));
        // tf.make_tensor_proto(np.float32(5)) — a scalar: empty shape message present, float_val packed.
        Assert.Equal("080112002a040000a040", TestData.ToHex(TensorProtoConverter.FromArray(new[] { 5f }).ToByteArray()));
        // tf.make_tensor_proto(np.array([7], np.int64))
        Assert.Equal("080912041202080152 0107".Replace(" ", "", StringComparison.Ordinal),
            TestData.ToHex(TensorProtoConverter.FromArray(new[] { 7L }, 1).ToByteArray()));
        // tf.make_tensor_proto(np.array([True, False, True]))
        Assert.Equal("080a120412020803 5a03010001".Replace(" ", "", StringComparison.Ordinal),
            TestData.ToHex(TensorProtoConverter.FromArray(new[] { true, false, true }, 3).ToByteArray()));
        // tf.make_tensor_proto(np.float16(1.0)): half_val holds the bit pattern 0x3c00 as a varint.
        Assert.Equal("081312006a028078",
            TestData.ToHex(TensorProtoConverter.FromArray(new[] { (Half)1f }).ToByteArray()));
        // tf.make_tensor_proto([b"ab", b""]): string_val, one entry each, the empty one kept.
        Assert.Equal("0807120412020802 42026162 4200".Replace(" ", "", StringComparison.Ordinal),
            TestData.ToHex(TensorProtoConverter.FromStrings(new[] { "ab"u8.ToArray(), Array.Empty<byte>() }, 2).ToByteArray()));
    }

    [Theory]
    [MemberData(nameof(NumericDtypes))]
    public void Tensor_content_is_little_endian_row_major(DataType dtype)
    {
        var values = Values(dtype);
        var raw = dtype == DataType.DtBool ? [1, 0, 1] : AsBytes(values);
        var proto = Proto(dtype, 1, 3);
        proto.TensorContent = ByteString.CopyFrom(raw);
        AddTyped(proto, Slice(Values(dtype), 1)); // ignored: tensor_content wins
        Assert.Equal(values, TensorProtoConverter.ToTensorData(proto).Values);
    }

    [Fact]
    public void Bool_content_treats_any_non_zero_byte_as_true()
    {
        var proto = Proto(DataType.DtBool, 3);
        proto.TensorContent = ByteString.CopyFrom(0, 2, 255);
        Assert.Equal([false, true, true], TensorProtoConverter.ToArray<bool>(proto));
    }

    [Theory]
    [MemberData(nameof(NumericDtypes))]
    public void Typed_field_fill_rules(DataType dtype)
    {
        var values = Values(dtype);

        // All values present.
        var full = Proto(dtype, 3);
        AddTyped(full, values);
        Assert.Equal(values, TensorProtoConverter.ToTensorData(full).Values);

        // Fewer values: the last repeats.
        var partial = Proto(dtype, 2, 3);
        AddTyped(partial, Slice(values, 2));
        var filled = TensorProtoConverter.ToTensorData(partial).Values;
        Assert.Equal(6, filled.Length);
        Assert.Equal(values.GetValue(0), filled.GetValue(0));
        for (var i = 1; i < 6; i++)
        {
            Assert.Equal(values.GetValue(1), filled.GetValue(i));
        }

        // A single value fills the tensor.
        var single = Proto(dtype, 4);
        AddTyped(single, Slice(values, 1));
        Assert.All(TensorProtoConverter.ToTensorData(single).Values.Cast<object>(), v => Assert.Equal(values.GetValue(0), v));

        // No value: zeros.
        var empty = TensorProtoConverter.ToTensorData(Proto(dtype, 2, 2)).Values;
        Assert.Equal(4, empty.Length);
        var zero = Activator.CreateInstance(values.GetType().GetElementType()!);
        Assert.All(empty.Cast<object>(), v => Assert.Equal(zero, v));

        // More values than the shape holds: an error naming the field.
        var tooMany = Proto(dtype, 2);
        AddTyped(tooMany, values);
        var error = Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.ToTensorData(tooMany, "input \"x\""));
        Assert.Equal(WarmupErrorKind.InvalidTensor, error.Kind);
        Assert.Contains("input \"x\" has 3 value(s) in", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Small_ints_are_narrowed_from_int_val_like_tf()
    {
        var proto = Proto(DataType.DtUint8, 2);
        proto.IntVal.Add(300);
        proto.IntVal.Add(-1);
        Assert.Equal(new byte[] { 44, 255 }, TensorProtoConverter.ToArray<byte>(proto));
    }

    [Fact]
    public void Strings_are_raw_bytes_with_the_same_fill_rules()
    {
        byte[][] values = [[0xFF, 0x00, 0xC3], "é"u8.ToArray(), []];
        var proto = TensorProtoConverter.FromStrings(values, 3);
        Assert.Equal(values, TensorProtoConverter.ToArray<byte[]>(proto));
        Assert.Equal(["a"u8.ToArray(), "é"u8.ToArray()], TensorProtoConverter.ToArray<byte[]>(TensorProtoConverter.FromStrings(new[] { "a", "é" }, 2)));

        var partial = Proto(DataType.DtString, 3);
        partial.StringVal.Add(ByteString.CopyFromUtf8("a"));
        partial.StringVal.Add(ByteString.CopyFromUtf8("b"));
        Assert.Equal(["a"u8.ToArray(), "b"u8.ToArray(), "b"u8.ToArray()], TensorProtoConverter.ToArray<byte[]>(partial));
        Assert.Equal([[], []], TensorProtoConverter.ToArray<byte[]>(Proto(DataType.DtString, 2)));
    }

    [Fact]
    public void Content_of_the_wrong_size_is_rejected()
    {
        var proto = Proto(DataType.DtFloat, 2, 2);
        proto.TensorContent = ByteString.CopyFrom(new byte[15]);
        var error = Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.ToTensorData(proto, "input \"x\""));
        Assert.Contains("input \"x\" has 15 bytes of tensor_content, but shape [2,2] of DT_FLOAT needs 16", error.Message, StringComparison.Ordinal);
        Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.Validate(proto));
    }

    [Theory]
    [InlineData(DataType.DtFloat, new long[] { 1L << 40, 1L << 40 }, "exceeds the limit")]
    [InlineData(DataType.DtFloat, new long[] { long.MaxValue, 2 }, "exceeds the limit")]
    [InlineData(DataType.DtFloat, new long[] { 0, long.MaxValue, long.MaxValue }, null)]
    [InlineData(DataType.DtDouble, new long[] { 1L << 28 }, "above the limit")]
    [InlineData(DataType.DtFloat, new long[] { 3, -1 }, "negative dimension")]
    [InlineData(DataType.DtString, new long[] { int.MaxValue }, "exceeds the largest .NET array")]
    [InlineData(DataType.DtString, new long[] { 1L << 28 }, "above the limit")]
    [InlineData(DataType.DtString, new long[] { 1L << 20, 1L << 20 }, "exceeds the limit")]
    public void Absurd_shapes_are_rejected_before_allocating(DataType dtype, long[] shape, string? problem)
    {
        var proto = Proto(dtype, shape);
        if (dtype == DataType.DtString)
        {
            proto.StringVal.Add(ByteString.CopyFromUtf8("x"));
        }
        else
        {
            proto.FloatVal.Add(1);
            proto.DoubleVal.Add(1);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        if (problem is null)
        {
            // Zero elements whatever the other dims: valid and empty (TF accepts it too).
            Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.ToTensorData(proto)); // one value, but room for none
            proto.FloatVal.Clear();
            proto.DoubleVal.Clear();
            Assert.Empty(TensorProtoConverter.ToTensorData(proto).Values);
            return;
        }

        var error = Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.ToTensorData(proto, "input \"big\""));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated before rejecting");
        Assert.Equal(WarmupErrorKind.InvalidTensor, error.Kind);
        Assert.Contains("input \"big\"", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_strings_repeated_by_the_fill_rule_count_against_the_byte_limit()
    {
        var proto = Proto(DataType.DtString, 100_000);
        proto.StringVal.Add(ByteString.CopyFrom(new byte[1 << 20]));
        var limits = new TensorLimits { MaxBytes = 1L << 30 };
        var error = Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.Validate(proto, "input \"s\"", limits));
        Assert.Contains("above the limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_can_be_tightened()
    {
        var proto = TensorProtoConverter.FromArray(new float[1000], 1000);
        Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.ToTensorData(proto, limits: new TensorLimits { MaxElements = 999 }));
        Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.ToTensorData(proto, limits: new TensorLimits { MaxBytes = 3999 }));
        Assert.Equal(1000, TensorProtoConverter.ToTensorData(proto, limits: new TensorLimits { MaxBytes = 4000 }).Values.Length);
    }

    [Fact]
    public void More_than_254_dimensions_are_rejected()
    {
        var proto = Proto(DataType.DtFloat, Enumerable.Repeat(1L, 255).ToArray());
        var error = Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.Validate(proto, "input \"x\""));
        Assert.Contains("input \"x\" has 255 dimensions; TensorFlow allows at most 254", error.Message, StringComparison.Ordinal);
        Assert.Single(TensorProtoConverter.ToTensorData(Proto(DataType.DtFloat, Enumerable.Repeat(1L, 254).ToArray())).Values);
    }

    [Fact]
    public void Unknown_rank_is_rejected()
    {
        var proto = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto { UnknownRank = true } };
        Assert.Contains("unknown rank", Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.ToTensorData(proto)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_shape_is_a_scalar()
    {
        var proto = new TensorProto { Dtype = DataType.DtInt32, IntVal = { 42 } };
        var tensor = TensorProtoConverter.ToTensorData(proto);
        Assert.Empty(tensor.Shape);
        Assert.Equal([42], tensor.GetValues<int>());
    }

    [Fact]
    public void Unsupported_dtypes_are_named()
    {
        foreach (var dtype in new[] { DataType.DtComplex64, DataType.DtComplex128, DataType.DtFloat8E5M2, DataType.DtInt4, DataType.DtQint8,
                     DataType.DtResource, DataType.DtVariant, DataType.DtInvalid, DataType.DtHalfRef })
        {
            var error = Assert.Throws<WarmupFormatException>(() => TensorProtoConverter.Validate(Proto(dtype, 1), "input \"q\""));
            Assert.Equal(WarmupErrorKind.UnsupportedDtype, error.Kind);
            Assert.Contains($"input \"q\" has dtype {DTypes.Name(dtype)}", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Dtype_table_agrees_in_every_direction()
    {
        foreach (var info in DTypes.All)
        {
            Assert.Same(info, DTypes.Get(info.DataType));
            Assert.Same(info, DTypes.FromOnnx(info.OnnxType));
            Assert.True(DTypes.TryParse(info.Name, out var parsed));
            Assert.Equal(info.DataType, parsed);
            if (info.IsSupported)
            {
                Assert.Same(info, DTypes.FromClrType(info.ClrType!));
            }
        }

        Assert.Equal(14, DTypes.All.Count(d => d.IsSupported));
        Assert.False(DTypes.TryParse("DT_NOPE", out _));
        Assert.Equal("DT_FLOAT", DTypes.Name(DataType.DtFloat));
    }

    [Fact]
    public void BFloat16_rounds_to_nearest_even_and_widens_exactly()
    {
        Assert.Equal(0x3FC0, ((BFloat16)1.5f).Bits);
        Assert.Equal(1.5f, (float)(BFloat16)1.5f);
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1).
        Assert.Equal(0x3F80, ((BFloat16)BitConverter.UInt32BitsToSingle(0x3F808000)).Bits);
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties to even (1 + 2^-6).
        Assert.Equal(0x3F82, ((BFloat16)BitConverter.UInt32BitsToSingle(0x3F818000)).Bits);
        Assert.True(float.IsNaN((BFloat16)float.NaN));
    }

    [Fact]
    public void Tensor_data_checks_shape_against_values()
    {
        Assert.Throws<ArgumentException>(() => TensorData.Create(new float[3], 2, 2));
        Assert.Throws<ArgumentException>(() => TensorData.Create(new decimal[1], 1));
        Assert.Throws<InvalidOperationException>(() => TensorData.Create(new float[1], 1).GetValues<int>());
        // The runtime lets a short[] pass as ushort[]; the dtype must not.
        Assert.Throws<InvalidOperationException>(() => TensorData.Create(new short[1], 1).GetValues<ushort>());
    }

    private static byte[] AsBytes(Array values) => values switch
    {
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        byte[] a => a,
        ushort[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        uint[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        ulong[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        Half[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        BFloat16[] a => MemoryMarshal.AsBytes(a.AsSpan()).ToArray(),
        _ => throw new ArgumentException(values.GetType().Name),
    };
}
