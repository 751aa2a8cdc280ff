using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Signatures;
using Warmup.Format.Tensors;

namespace Warmup.Format.Tests;

public sealed class TensorRulesTests
{
    private static readonly SignatureDimension[] BatchBy4 = [SignatureDimension.Symbolic("batch"), SignatureDimension.Fixed(4)];

    [Fact]
    public void Matching_dtypes_and_shapes_pass()
    {
        var symbols = new TensorSymbols();
        Assert.Null(TensorRules.CheckDType("input \"x\"", DataType.DtFloat, "x", "DT_FLOAT", DTypes.Get(DataType.DtFloat)));
        Assert.Null(TensorRules.CheckShape("input \"x\"", [3, 4], "x", BatchBy4, symbols));
        Assert.Null(TensorRules.CheckShape("input \"y\"", [3, 7], "y", [SignatureDimension.Symbolic("batch"), SignatureDimension.Unknown], symbols));
    }

    [Fact]
    public void A_dtype_mismatch_names_both_dtypes_and_the_model_input()
    {
        var mismatch = TensorRules.CheckDType("input \"x\"", DataType.DtInt32, "x:0", "DT_FLOAT", DTypes.Get(DataType.DtFloat));
        Assert.NotNull(mismatch);
        Assert.Equal(TensorMismatchKind.DType, mismatch.Kind);
        Assert.Equal("input \"x\" is DT_INT32 but the model's input \"x:0\" takes DT_FLOAT. Write the sample as DT_FLOAT.", mismatch.Message);
    }

    [Theory]
    [InlineData(DataType.DtComplex64, "DT_COMPLEX64")]
    [InlineData(DataType.DtInvalid, "ONNX Float8E8M0")]
    public void An_unsupported_model_dtype_comes_first(DataType declared, string name)
    {
        var expected = declared == DataType.DtInvalid ? null : DTypes.Get(declared);
        var mismatch = TensorRules.CheckDType("input \"x\"", DataType.DtFloat, "x", name, expected);
        Assert.NotNull(mismatch);
        Assert.Equal(TensorMismatchKind.UnsupportedDType, mismatch.Kind);
        Assert.Equal($"the model's input \"x\" has dtype {name}, which ONNX Runtime cannot run from .NET.", mismatch.Message);
    }

    [Theory]
    [InlineData(new long[] { 4 }, nameof(TensorMismatchKind.Rank), "input \"x\" has shape [4]: rank 1 where the model takes rank 2 (model input \"x\" is [batch,4])")]
    [InlineData(new long[] { 1, 1, 4 }, nameof(TensorMismatchKind.Rank), "rank 3 where the model takes rank 2")]
    [InlineData(new long[] { 1, 5 }, nameof(TensorMismatchKind.Dimension), "input \"x\" has shape [1,5]: size 5 in dimension 1 where the model takes 4 (model input \"x\" is [batch,4]). Write the sample with the model's shape.")]
    // The kind by name: TensorMismatchKind is internal, and a public test method cannot take it.
    public void Shape_mismatches_name_the_rule_and_the_model_shape(long[] shape, string kind, string message)
    {
        var mismatch = TensorRules.CheckShape("input \"x\"", shape, "x", BatchBy4, new TensorSymbols());
        Assert.NotNull(mismatch);
        Assert.Equal(kind, mismatch.Kind.ToString());
        Assert.Contains(message, mismatch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_symbolic_dimension_binds_to_the_first_size_of_the_request()
    {
        var symbols = new TensorSymbols();
        Assert.Null(TensorRules.CheckShape("input \"a\"", [2, 4], "a", BatchBy4, symbols));
        Assert.Null(TensorRules.CheckShape("input \"b\"", [2, 4], "b", BatchBy4, symbols));
        var mismatch = TensorRules.CheckShape("input \"c\"", [3, 4], "c", BatchBy4, symbols);
        Assert.NotNull(mismatch);
        Assert.Equal(TensorMismatchKind.Symbol, mismatch.Kind);
        Assert.Contains("input \"c\" has shape [3,4]: size 3 for dimension \"batch\", which is 2 in input \"a\"", mismatch.Message, StringComparison.Ordinal);

        // A new request starts a new table.
        Assert.Null(TensorRules.CheckShape("input \"c\"", [3, 4], "c", BatchBy4, new TensorSymbols()));
    }

    [Fact]
    public void Unknown_ranks_are_not_checked()
    {
        Assert.Null(TensorRules.CheckShape("input \"x\"", null, "x", BatchBy4, new TensorSymbols()));
        Assert.Null(TensorRules.CheckShape("input \"x\"", [1, 2, 3], "x", null, new TensorSymbols()));
        Assert.NotNull(TensorRules.CheckShape("input \"x\"", [1], "x", [], new TensorSymbols()));
    }

    [Fact]
    public void Shapes_format_symbols_sizes_and_unknown_dimensions()
    {
        Assert.Equal("[batch,?,3]", TensorRules.FormatShape([SignatureDimension.Symbolic("batch"), SignatureDimension.Unknown, SignatureDimension.Fixed(3)]));
        Assert.Equal("[]", TensorRules.FormatShape([]));
        Assert.Equal("unknown rank", TensorRules.FormatShape(null));
    }

    [Fact]
    public void The_one_shape_formatter_writes_sizes_and_signature_file_dimensions()
    {
        SignatureDimension[] declared = [SignatureDimension.Symbolic("batch size"), SignatureDimension.Unknown, SignatureDimension.Fixed(3)];
        Assert.Equal("[batch%20size,-1,3]", ShapeText.Format(declared));
        Assert.Equal("[batch size,?,3]", ShapeText.Describe(declared));
        Assert.Equal("*", ShapeText.Format((IReadOnlyList<SignatureDimension>?)null));
        Assert.Equal("*", ShapeText.Format((IEnumerable<long>?)null));
        Assert.Equal("[4,-1,0]", ShapeText.Format([4L, -1, 0]));
        Assert.Equal("[]", TensorShapes.Format([]));
        Assert.Equal("[2,3]", TensorShapes.Format([2, 3]));
    }

    [Fact]
    public void The_signature_checker_applies_the_same_rules_as_errors()
    {
        var model = new SignatureFile("m", "m.onnx", "onnx",
        [
            new SignatureDefinition("serving_default", "predict",
            [
                new SignatureTensor("a", "DT_FLOAT", BatchBy4, "a"),
                new SignatureTensor("b", "DT_FLOAT", BatchBy4, "b"),
            ], []),
        ]);
        var log = TestData.Predict("m", ("a", TensorProtoConverter.FromArray(new float[8], 2, 4)), ("b", TensorProtoConverter.FromArray(new int[12], 3, 4)));

        var issues = SignatureChecker.Check(log, model);

        Assert.Equal(2, issues.Count);
        Assert.All(issues, i => Assert.Equal(WarmupIssueSeverity.Error, i.Severity));
        Assert.All(issues, i => Assert.Equal(WarmupErrorKind.SignatureMismatch, i.Kind));
        Assert.Equal("input \"b\" is DT_INT32 but the model's input \"b\" takes DT_FLOAT. Write the sample as DT_FLOAT.", issues[0].Message);
        Assert.Contains("size 3 for dimension \"batch\", which is 2 in input \"a\"", issues[1].Message, StringComparison.Ordinal);
    }
}
