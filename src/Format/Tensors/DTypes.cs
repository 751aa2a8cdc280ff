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
/// TensorFlow dtype ↔ ONNX element type ↔ .NET element type, and which of them run on ONNX Runtime: the rows of
/// <see cref="DTypeTable"/> (the one dtype table, which the source generator shares) in Format's types.
/// </summary>
public static class DTypes
{
    private static readonly Dictionary<DataType, DTypeInfo> ByTf = new();
    private static readonly Dictionary<OnnxElementType, DTypeInfo> ByOnnx = new();
    private static readonly Dictionary<Type, DTypeInfo> ByClr = new();

    static DTypes()
    {
        foreach (var row in DTypeTable.Rows)
        {
            var info = new DTypeInfo((DataType)row.Number, row.Name, (OnnxElementType)row.OnnxNumber, row.ClrType, row.ElementSize);
            ByTf.Add(info.DataType, info);
            ByOnnx.Add(info.OnnxType, info);
            if (info.ClrType is not null)
            {
                ByClr.Add(info.ClrType, info);
            }
        }
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
}
