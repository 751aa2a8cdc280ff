namespace Warmup.Format.Tensors;

/// <summary>ONNX tensor element types (<c>onnx.TensorProto.DataType</c>).</summary>
#pragma warning disable CA1028 // Values are ONNX's wire values.
public enum OnnxElementType
#pragma warning restore CA1028
{
    /// <summary>Not set.</summary>
    Undefined = 0,
    /// <summary>32-bit float.</summary>
    Float = 1,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,
    /// <summary>Byte string.</summary>
    String = 8,
    /// <summary>Boolean.</summary>
    Bool = 9,
    /// <summary>IEEE half precision.</summary>
    Float16 = 10,
    /// <summary>64-bit float.</summary>
    Double = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>Complex of two 32-bit floats.</summary>
    Complex64 = 14,
    /// <summary>Complex of two 64-bit floats.</summary>
    Complex128 = 15,
    /// <summary>Brain float 16.</summary>
    BFloat16 = 16,
    /// <summary>float8 e4m3fn.</summary>
    Float8E4M3FN = 17,
    /// <summary>float8 e4m3fnuz.</summary>
    Float8E4M3FNUZ = 18,
    /// <summary>float8 e5m2.</summary>
    Float8E5M2 = 19,
    /// <summary>float8 e5m2fnuz.</summary>
    Float8E5M2FNUZ = 20,
    /// <summary>Unsigned 4-bit integer.</summary>
    UInt4 = 21,
    /// <summary>Signed 4-bit integer.</summary>
    Int4 = 22,
}
