// The one dtype table (docs/contracts.md §1). Plain C# that compiles for netstandard2.0 with no dependency beyond the BCL:
// Warmup.Format derives DTypes (DataType, OnnxElementType, .NET type) from it, and the source generator links the same
// file (WARMUP_GENERATOR) for the names it reads and writes (dtype names, C# element types). WarmupDType's members are
// the supported rows, named without DT_ in Pascal case (DT_UINT8 → UInt8) and valued by TF number (DTypeTableTests).
using System;
using System.Collections.Generic;

namespace Warmup.Format.Tensors;

/// <summary>One dtype in every form it takes between a signature file and ONNX Runtime.</summary>
internal sealed class DTypeRow
{
    internal DTypeRow(int number, string name, int onnxNumber, int elementSize, string? elementType, string? clrName, string? tritonName, int tritonNumber,
        Type? clrType)
    {
        Number = number;
        Name = name;
        OnnxNumber = onnxNumber;
        ElementSize = elementSize;
        ElementType = elementType;
        ClrName = clrName;
        TritonName = tritonName;
        TritonNumber = tritonNumber;
#if !WARMUP_GENERATOR
        ClrType = clrType;
#endif
    }

    /// <summary>TensorFlow's <c>DataType</c> number, also the value of the <c>WarmupDType</c> member.</summary>
    public int Number { get; }

    /// <summary>The proto name, as signature files and messages write it: <c>DT_FLOAT</c>.</summary>
    public string Name { get; }

    /// <summary>The ONNX element type (<c>onnx.TensorProto.DataType</c>).</summary>
    public int OnnxNumber { get; }

    /// <summary>Bytes per element in <c>tensor_content</c> (0 for strings and unsupported dtypes).</summary>
    public int ElementSize { get; }

    /// <summary>The element type generated inputs use, as generated code spells it (<c>string</c> for DT_STRING); null when Warmup cannot feed the dtype.</summary>
    public string? ElementType { get; }

    /// <summary>The .NET name of <see cref="ElementType"/> (<c>Single</c> for <c>float</c>), as source may write it.</summary>
    public string? ClrName { get; }

    /// <summary>Triton's name of the dtype in <c>config.pbtxt</c> (<c>TYPE_FP32</c>), or null.</summary>
    public string? TritonName { get; }

    /// <summary>Triton's <c>DataType</c> number (its names are listed in this order), or 0.</summary>
    public int TritonNumber { get; }

    /// <summary>Whether Warmup converts the dtype and ONNX Runtime's C# API runs it.</summary>
    public bool IsSupported => ElementType != null;

    /// <summary><see cref="ElementType"/> without namespace (<c>Half</c> for <c>global::System.Half</c>).</summary>
    public string? ShortElementType => ElementType == null ? null : ElementType.Substring(ElementType.LastIndexOf('.') + 1);

#if !WARMUP_GENERATOR
    /// <summary>The .NET element type of decoded values (<c>byte[]</c> for DT_STRING), or null when unsupported.</summary>
    public Type? ClrType { get; }
#endif
}

/// <summary>The rows of the dtype table and lookups over them.</summary>
internal static class DTypeTable
{
    /// <summary>Every dtype that has an ONNX counterpart: the supported ones first, in this order in messages.</summary>
    public static readonly IReadOnlyList<DTypeRow> Rows = new[]
    {
        Row<float>(1, "DT_FLOAT", 1, 4, "float", "Single", "TYPE_FP32", 11),
        Row<double>(2, "DT_DOUBLE", 11, 8, "double", "Double", "TYPE_FP64", 12),
        Row<int>(3, "DT_INT32", 6, 4, "int", "Int32", "TYPE_INT32", 8),
        Row<byte>(4, "DT_UINT8", 2, 1, "byte", "Byte", "TYPE_UINT8", 2),
        Row<short>(5, "DT_INT16", 5, 2, "short", "Int16", "TYPE_INT16", 7),
        Row<sbyte>(6, "DT_INT8", 3, 1, "sbyte", "SByte", "TYPE_INT8", 6),
        Row<byte[]>(7, "DT_STRING", 8, 0, "string", "String", "TYPE_STRING", 13),
        Row<long>(9, "DT_INT64", 7, 8, "long", "Int64", "TYPE_INT64", 9),
        Row<bool>(10, "DT_BOOL", 9, 1, "bool", "Boolean", "TYPE_BOOL", 1),
        Row<ushort>(17, "DT_UINT16", 4, 2, "ushort", "UInt16", "TYPE_UINT16", 3),
        Row<uint>(22, "DT_UINT32", 12, 4, "uint", "UInt32", "TYPE_UINT32", 4),
        Row<ulong>(23, "DT_UINT64", 13, 8, "ulong", "UInt64", "TYPE_UINT64", 5),
        Row<Half>(19, "DT_HALF", 10, 2, "global::System.Half", "Half", "TYPE_FP16", 10),
        Row<BFloat16>(14, "DT_BFLOAT16", 16, 2, "global::Warmup.Format.Tensors.BFloat16", "BFloat16", "TYPE_BF16", 14),
        // Known to both TF and ONNX but not run by ONNX Runtime's C# API: rejected before a session is created.
        Unsupported(8, "DT_COMPLEX64", 14),
        Unsupported(18, "DT_COMPLEX128", 15),
        Unsupported(25, "DT_FLOAT8_E4M3FN", 17),
        Unsupported(26, "DT_FLOAT8_E4M3FNUZ", 18),
        Unsupported(24, "DT_FLOAT8_E5M2", 19),
        Unsupported(28, "DT_FLOAT8_E5M2FNUZ", 20),
        Unsupported(29, "DT_INT4", 22),
        Unsupported(30, "DT_UINT4", 21),
    };

    /// <summary>The row named <paramref name="name"/> (<c>DT_FLOAT</c>), or null.</summary>
    public static DTypeRow? FindByName(string name) => Find(r => string.Equals(r.Name, name, StringComparison.Ordinal));

    /// <summary>The row of TensorFlow dtype number <paramref name="number"/>, or null.</summary>
    public static DTypeRow? FindByNumber(int number) => Find(r => r.Number == number);

    /// <summary>The supported row whose element type has .NET name <paramref name="clrName"/> (<c>Single</c>), or null.</summary>
    public static DTypeRow? FindByClrName(string clrName) => Find(r => string.Equals(r.ClrName, clrName, StringComparison.Ordinal));

    private static DTypeRow? Find(Func<DTypeRow, bool> match)
    {
        foreach (DTypeRow row in Rows)
        {
            if (match(row))
            {
                return row;
            }
        }

        return null;
    }

    private static DTypeRow Row<T>(int number, string name, int onnxNumber, int elementSize, string elementType, string clrName,
        string tritonName, int tritonNumber) =>
        new DTypeRow(number, name, onnxNumber, elementSize, elementType, clrName, tritonName, tritonNumber, typeof(T));

    private static DTypeRow Unsupported(int number, string name, int onnxNumber) =>
        new DTypeRow(number, name, onnxNumber, 0, null, null, null, 0, null);

#if WARMUP_GENERATOR
    // The generator handles names only; these stand in for the element types netstandard2.0 and the generator lack.
    private struct Half
    {
    }

    private struct BFloat16
    {
    }
#endif
}
