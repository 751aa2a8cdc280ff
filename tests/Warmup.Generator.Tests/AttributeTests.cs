using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>The attributes users write are Warmup.Format types; their dtype enum follows Format's dtype table.</summary>
public class AttributeTests
{
    public static TheoryData<WarmupDType> DTypes => new(Enum.GetValues<WarmupDType>());

    [Theory]
    [MemberData(nameof(DTypes))]
    public void Every_WarmupDType_is_the_TensorFlow_dtype_of_its_name_and_supported(WarmupDType dtype)
    {
        DTypeInfo row = Format.Tensors.DTypes.Get((DataType)(int)dtype);

        Assert.Equal("DT_" + dtype.ToString().ToUpperInvariant(), row.Name);
        Assert.True(row.IsSupported, row.Name);
    }
}
