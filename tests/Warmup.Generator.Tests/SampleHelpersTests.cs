using Warmup.Format.Generated;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Signatures;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>Warmup.Format.Generated, the run-time half of the generated code, on values the generator cannot see.</summary>
public class SampleHelpersTests
{
    private static readonly SampleInput X = new("m", "s", "x", SignatureDimension.Symbolic("batch"), SignatureDimension.Fixed(2));

    [Fact]
    public void Rows_are_tiled_cyclically_to_the_batch_size()
    {
        TensorProto tensor = X.FromArray<int>(new[,] { { 1, 2 }, { 3, 4 } }, 3, new TensorSymbols());

        Assert.Equal([3L, 2L], tensor.TensorShape.Dim.Select(d => d.Size));
        Assert.Equal([1, 2, 3, 4, 1, 2], Format.Tensors.TensorProtoConverter.ToArray<int>(tensor));
    }

    [Fact]
    public void A_fixed_first_dimension_is_not_tiled()
    {
        var fixedRows = new SampleInput("m", "s", "x", SignatureDimension.Fixed(1), SignatureDimension.Fixed(2));

        TensorProto tensor = fixedRows.FromArray<int>(new[,] { { 1, 2 } }, 8, new TensorSymbols());

        Assert.Equal([1L, 2L], tensor.TensorShape.Dim.Select(d => d.Size));
    }

    [Fact]
    public void Values_that_cannot_be_sent_throw_naming_the_input()
    {
        var noRows = Assert.Throws<InvalidOperationException>(() => X.FromArray<int>(new int[0, 2], 4, new TensorSymbols()));
        Assert.Equal("Input 'x' of signature 's' of model 'm' has no rows to tile to batch size 4.", noRows.Message);

        var wrongType = Assert.Throws<ArgumentException>(() => X.FromArray<long>(new int[1, 2], 0, new TensorSymbols()));
        Assert.StartsWith("Input 'x' is a System.Int32[,], not an array of System.Int64.", wrongType.Message, StringComparison.Ordinal);

        var text = new SampleInput("m", "s", "t", SignatureDimension.Unknown);
        var nullText = Assert.Throws<InvalidOperationException>(() => text.FromStrings(["a", null!], null, "T", "TBytes", 0, new TensorSymbols()));
        Assert.Equal("Input 't' has a null string at flat index 1: DT_STRING values must not be null.", nullText.Message);
        var nullBytes = Assert.Throws<InvalidOperationException>(() => text.FromStrings(null, [[1], null!], "T", "TBytes", 0, new TensorSymbols()));
        Assert.Equal("Input 't' has a null byte string at index 1: DT_STRING values must not be null.", nullBytes.Message);
        var missing = Assert.Throws<InvalidOperationException>(() => text.FromStrings(null, null, "T", "TBytes", 0, new TensorSymbols()));
        Assert.Equal("Input 't' of signature 's' of model 'm' is not set: every input is required.", missing.Message);
    }

    [Fact]
    public void A_sample_without_values_or_examples_throws_naming_it()
    {
        var nullSample = Assert.Throws<InvalidOperationException>(() => SampleRecords.Create((IWarmupInputs?)null, "Model.Sample", [1, 2], 1).ToList());
        Assert.Equal("Warmup sample 'Model.Sample' returned null.", nullSample.Message);

        var noExamples = Assert.Throws<InvalidOperationException>(() => SampleRecords.ToInput([], null, 2, "classify", "m"));
        Assert.Equal("Signature 'classify' of model 'm' has no examples to tile to batch size 2.", noExamples.Message);
    }
}
