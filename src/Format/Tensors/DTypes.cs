using Warmup.Format.Protos.TensorFlow;

namespace Warmup.Format.Tensors;

/// <summary>One row of the dtype table.</summary>
/// <param name="DataType">The TensorFlow dtype.</param>
/// <param name="Name">Its proto name, e.g. <c>DT_FLOAT</c>.</param>
/// <param name="OnnxType">The matching ONNX element type, or <see cref="OnnxElementType.Undefined"/>.</param>
/// <param name="ClrType">The .NET element type Warmup uses (<c>byte[]</c> for DT_STRING), or null when unsupported.</param>
/// <param name="ElementSize">Bytes per element in <c>tensor_content</c> (0 for strings and unsupported dtypes).</param>
public sealed record DTypeInfo(DataType DataType, string Name, OnnxElementType OnnxType, Type? ClrType, int ElementSize)
{
    /// <summary>Whether Warmup converts this dtype and ONNX Runtime's C# API runs it.</summary>
    public bool IsSupported => ClrType is not null;

    /// <summary>Whether the dtype is DT_STRING.</summary>
    public bool IsString => DataType == DataType.DtString;
}

/// <summary>
/// The one dtype table: TensorFlow dtype ↔ ONNX element type ↔ .NET element type, and which of them run on ONNX Runtime.
/// </summary>
public static class DTypes
{
    private static readonly Dictionary<DataType, DTypeInfo> ByTf = new();
    private static readonly Dictionary<OnnxElementType, DTypeInfo> ByOnnx = new();
    private static readonly Dictionary<Type, DTypeInfo> ByClr = new();

    static DTypes()
    {
        Add(DataType.DtFloat, OnnxElementType.Float, typeof(float), 4);
        Add(DataType.DtDouble, OnnxElementType.Double, typeof(double), 8);
        Add(DataType.DtInt32, OnnxElementType.Int32, typeof(int), 4);
        Add(DataType.DtUint8, OnnxElementType.UInt8, typeof(byte), 1);
        Add(DataType.DtInt16, OnnxElementType.Int16, typeof(short), 2);
        Add(DataType.DtInt8, OnnxElementType.Int8, typeof(sbyte), 1);
        Add(DataType.DtString, OnnxElementType.String, typeof(byte[]), 0);
        Add(DataType.DtInt64, OnnxElementType.Int64, typeof(long), 8);
        Add(DataType.DtBool, OnnxElementType.Bool, typeof(bool), 1);
        Add(DataType.DtUint16, OnnxElementType.UInt16, typeof(ushort), 2);
        Add(DataType.DtUint32, OnnxElementType.UInt32, typeof(uint), 4);
        Add(DataType.DtUint64, OnnxElementType.UInt64, typeof(ulong), 8);
        Add(DataType.DtHalf, OnnxElementType.Float16, typeof(Half), 2);
        Add(DataType.DtBfloat16, OnnxElementType.BFloat16, typeof(BFloat16), 2);
        // Known to both TF and ONNX but not run by ONNX Runtime's C# API: rejected before a session is created.
        Add(DataType.DtComplex64, OnnxElementType.Complex64, null, 0);
        Add(DataType.DtComplex128, OnnxElementType.Complex128, null, 0);
        Add(DataType.DtFloat8E4M3Fn, OnnxElementType.Float8E4M3FN, null, 0);
        Add(DataType.DtFloat8E4M3Fnuz, OnnxElementType.Float8E4M3FNUZ, null, 0);
        Add(DataType.DtFloat8E5M2, OnnxElementType.Float8E5M2, null, 0);
        Add(DataType.DtFloat8E5M2Fnuz, OnnxElementType.Float8E5M2FNUZ, null, 0);
        Add(DataType.DtInt4, OnnxElementType.Int4, null, 0);
        Add(DataType.DtUint4, OnnxElementType.UInt4, null, 0);
    }

    /// <summary>Every row of the table for dtypes that have an ONNX counterpart.</summary>
    public static IEnumerable<DTypeInfo> All => ByTf.Values;

    /// <summary>The row for a TensorFlow dtype; dtypes without ONNX counterpart (and <c>_REF</c> types) get an unsupported row.</summary>
    public static DTypeInfo Get(DataType dataType) =>
        ByTf.TryGetValue(dataType, out var info) ? info : new DTypeInfo(dataType, Name(dataType), OnnxElementType.Undefined, null, 0);

    /// <summary>The row for an ONNX element type, or null when TensorFlow has no such dtype.</summary>
    public static DTypeInfo? FromOnnx(OnnxElementType onnxType) => ByOnnx.GetValueOrDefault(onnxType);

    /// <summary>The row whose .NET element type is <paramref name="clrType"/>, or null.</summary>
    public static DTypeInfo? FromClrType(Type clrType) => ByClr.GetValueOrDefault(clrType);

    /// <summary>The proto name of a dtype (<c>DT_FLOAT</c>), or its number when it is not in the enum.</summary>
    public static string Name(DataType dataType) =>
        DataTypeDescriptor.FindValueByNumber((int)dataType) is { } value
            ? value.Name
            : $"dtype {(int)dataType}";

    /// <summary>Parses a proto dtype name such as <c>DT_FLOAT</c>.</summary>
    public static bool TryParse(string name, out DataType dataType)
    {
        var value = DataTypeDescriptor.FindValueByName(name);
        dataType = value is null ? DataType.DtInvalid : (DataType)value.Number;
        return value is not null;
    }

    private static Google.Protobuf.Reflection.EnumDescriptor DataTypeDescriptor => TypesReflection.Descriptor.EnumTypes[0];

    private static void Add(DataType tf, OnnxElementType onnx, Type? clr, int size)
    {
        var info = new DTypeInfo(tf, DataTypeDescriptor.FindValueByNumber((int)tf).Name, onnx, clr, size);
        ByTf.Add(tf, info);
        ByOnnx.Add(onnx, info);
        if (clr is not null)
        {
            ByClr.Add(clr, info);
        }
    }
}
