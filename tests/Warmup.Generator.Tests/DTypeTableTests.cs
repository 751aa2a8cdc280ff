using Microsoft.CodeAnalysis;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>
/// The generator reads and writes dtypes through the one dtype table (Format's DTypeTable, linked into it): WarmupDType
/// and the element types of generated inputs must agree with Warmup.Format's DTypes, which is derived from the same rows.
/// </summary>
public class DTypeTableTests
{
    [Fact]
    public void WarmupDType_declares_every_supported_dtype_by_its_tensorflow_number()
    {
        var compilation = GeneratorHarness.Run("namespace Empty { }").Output;
        var members = compilation.GetTypeByMetadataName("Warmup.WarmupDType")!.GetMembers().OfType<IFieldSymbol>()
            .Select(f => ("DT_" + f.Name.ToUpperInvariant(), Convert.ToInt32(f.ConstantValue, System.Globalization.CultureInfo.InvariantCulture)))
            .Order();

        var supported = DTypes.All.Where(d => d.IsSupported).Select(d => (d.Name, (int)d.DataType)).Order();

        Assert.Equal(supported, members);
    }

    [Fact]
    public void A_declared_input_of_each_dtype_gets_the_element_type_Format_converts()
    {
        foreach (var dtype in DTypes.All.Where(d => d.IsSupported))
        {
            var source = $$"""
                using Warmup;
                [WarmupModel("declared")]
                [WarmupInput("x", (WarmupDType){{(int)dtype.DataType}}, -1)]
                public partial class Model { }
                """;

            var result = GeneratorHarness.Run(source);

            Assert.Empty(result.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
            var inputs = result.Output.GetTypeByMetadataName("Model+ServingDefaultInputs")!;
            var property = (IArrayTypeSymbol)inputs.GetMembers("X").OfType<IPropertySymbol>().Single().Type;
            var expected = dtype.DataType == DataType.DtString ? typeof(string) : dtype.ClrType!;
            Assert.Equal(expected.FullName, $"{property.ElementType.ContainingNamespace.ToDisplayString()}.{property.ElementType.MetadataName}");
        }
    }
}
