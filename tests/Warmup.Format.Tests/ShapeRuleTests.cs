using Warmup.Format.Signatures;

namespace Warmup.Format.Tests;

/// <summary>The one shape rule, which TensorRules (run time) and the generator's Binder (compile time, linked) both apply.</summary>
public sealed class ShapeRuleTests
{
    private static readonly SignatureDimension[] BatchBy4By2 =
        [SignatureDimension.Symbolic("batch"), SignatureDimension.Fixed(4), SignatureDimension.Fixed(2)];

    [Fact]
    public void The_first_mismatching_axis_is_reported_in_axis_order()
    {
        var symbols = new Dictionary<string, (long Size, string Input)>(StringComparer.Ordinal) { ["batch"] = (3, "a") };

        // Axis 0 breaks the bound symbol and axis 2 the fixed size: axis 0 is the one reported.
        var found = ShapeRule.Check([5, 4, 9], BatchBy4By2, "b", symbols);

        Assert.Equal(ShapeMismatchKind.Symbol, found.Kind);
        Assert.Equal((0, 3L, 5L, "batch", "a"), (found.Axis, found.Expected, found.Actual, found.Symbol, found.BoundBy));
    }

    [Fact]
    public void Without_symbols_only_rank_and_fixed_sizes_are_checked()
    {
        Assert.Equal(ShapeMismatchKind.None, ShapeRule.Check([5, 4, 2], BatchBy4By2, "b", symbols: null).Kind);

        var rank = ShapeRule.Check([4, 2], BatchBy4By2, "b", symbols: null);
        Assert.Equal((ShapeMismatchKind.Rank, 3L, 2L), (rank.Kind, rank.Expected, rank.Actual));

        var size = ShapeRule.Check([5, 4, 3], BatchBy4By2, "b", symbols: null);
        Assert.Equal((ShapeMismatchKind.Dimension, 2, 2L, 3L), (size.Kind, size.Axis, size.Expected, size.Actual));
    }

    [Fact]
    public void The_first_input_to_size_a_symbol_binds_it()
    {
        var symbols = new Dictionary<string, (long Size, string Input)>(StringComparer.Ordinal);

        Assert.Equal(ShapeMismatchKind.None, ShapeRule.Check([7, 4, 2], BatchBy4By2, "a", symbols).Kind);
        Assert.Equal((7L, "a"), symbols["batch"]);
        Assert.Equal(ShapeMismatchKind.None, ShapeRule.Check([7, 4, 2], BatchBy4By2, "b", symbols).Kind);
        Assert.Equal(ShapeMismatchKind.Symbol, ShapeRule.Check([8, 4, 2], BatchBy4By2, "c", symbols).Kind);
    }
}
