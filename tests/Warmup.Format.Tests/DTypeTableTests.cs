using System.Runtime.CompilerServices;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format.Tests;

/// <summary>The one dtype table against the enums it is derived into: TF's DataType, ONNX's element types and .NET's types.</summary>
public class DTypeTableTests
{
    private static readonly Google.Protobuf.Reflection.EnumDescriptor DataTypes = TypesReflection.Descriptor.EnumTypes[0];

    [Fact]
    public void Every_row_names_its_tensorflow_and_onnx_types_as_their_enums_do()
    {
        Assert.Equal(DTypeTable.Rows.Count, DTypeTable.Rows.Select(r => r.Number).Distinct().Count());
        Assert.Equal(DTypeTable.Rows.Count, DTypeTable.Rows.Select(r => r.OnnxNumber).Distinct().Count());
        foreach (var row in DTypeTable.Rows)
        {
            Assert.Equal(DataTypes.FindValueByNumber(row.Number).Name, row.Name);
            var onnx = (OnnxElementType)row.OnnxNumber;
            Assert.True(Enum.IsDefined(onnx), row.Name);
            // ONNX and TF spell the same types alike: DT_FLOAT8_E4M3FN is Float8E4M3FN, DT_HALF is Float16.
            var expected = row.Name == "DT_HALF" ? "FLOAT16" : row.Name["DT_".Length..].Replace("_", "", StringComparison.Ordinal);
            Assert.Equal(expected, onnx.ToString().ToUpperInvariant());
            Assert.Same(row, DTypeTable.FindByName(row.Name));
            Assert.Same(row, DTypeTable.FindByNumber(row.Number));
        }
    }

    [Fact]
    public void Supported_rows_spell_their_element_type_in_every_form()
    {
        foreach (var row in DTypeTable.Rows.Where(r => r.IsSupported))
        {
            var clr = row.ClrType!;
            // Strings are decoded as byte strings but generated as text.
            Assert.Equal(row.Name == "DT_STRING" ? typeof(string).Name : clr.Name, row.ClrName);
            Assert.Same(row, DTypeTable.FindByClrName(row.ClrName!));
            Assert.Equal(row.Name == "DT_STRING" ? 0 : SizeOf(clr), row.ElementSize);
            var generated = row.ElementType!.Replace("global::", "", StringComparison.Ordinal);
            Assert.True(generated.Contains('.', StringComparison.Ordinal) ? generated == clr.FullName : Keyword(row.ClrName!) == generated, row.Name);
            Assert.Equal(generated[(generated.LastIndexOf('.') + 1)..], row.ShortElementType);
            Assert.StartsWith("TYPE_", row.TritonName, StringComparison.Ordinal);
        }

        // Triton's DataType enum: TYPE_BOOL = 1 … TYPE_BF16 = 14, every one of them converted.
        Assert.Equal(Enumerable.Range(1, 14), DTypeTable.Rows.Where(r => r.TritonName is not null).Select(r => r.TritonNumber).Order());

        Assert.All(DTypeTable.Rows.Where(r => !r.IsSupported), r => Assert.Equal((0, null, null, null), (r.ElementSize, r.ClrName, r.TritonName, r.ClrType)));
        Assert.Null(DTypeTable.FindByName("DT_RESOURCE"));
    }

    private static int SizeOf(Type type) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;

    private static string Keyword(string clrName) => clrName switch
    {
        "Single" => "float",
        "Double" => "double",
        "Int32" => "int",
        "Byte" => "byte",
        "Int16" => "short",
        "SByte" => "sbyte",
        "String" => "string",
        "Int64" => "long",
        "Boolean" => "bool",
        "UInt16" => "ushort",
        "UInt32" => "uint",
        "UInt64" => "ulong",
        _ => "?",
    };
}
