using System.Text.Json;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Testing;
using static Warmup.Cli.Tests.CliHarness;

namespace Warmup.Cli.Tests;

public sealed class ValidateTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Valid_file_exits_0_and_json_reports_no_errors()
    {
        var file = _cli.WarmupFileOf("ok", HalfPlusTwoRecord(1), HalfPlusTwoRecord(1, 2));

        var result = Run("validate", file, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.True(json.GetProperty("valid").GetBoolean());
        Assert.Equal(2, json.GetProperty("records").GetInt32());
        Assert.Equal(0, json.GetProperty("errors").GetArrayLength());
        Assert.Equal(0, json.GetProperty("warnings").GetArrayLength());
    }

    [Fact]
    public void Rejected_log_types_are_errors_and_an_empty_record_is_a_warning()
    {
        var sessionRun = new PredictionLog { SessionRunLog = new SessionRunLog { Request = new SessionRunRequest() } };
        var file = _cli.WarmupFileOf("mixed", HalfPlusTwoRecord(1), sessionRun, new PredictionLog());
        var offsets = WarmupFile.Read(file).Select(r => r.Offset).ToArray();

        var json = Run("validate", file, "--json");
        var text = Run("validate", file);

        Assert.Equal(1, json.ExitCode);
        var root = json.Json();
        Assert.False(root.GetProperty("valid").GetBoolean());
        var error = Assert.Single(root.GetProperty("errors").EnumerateArray());
        Assert.Equal(1, error.GetProperty("record").GetInt32());
        Assert.Equal(offsets[1], error.GetProperty("offset").GetInt64());
        Assert.Contains("Unsupported log_type for warmup: 5", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var warning = Assert.Single(root.GetProperty("warnings").EnumerateArray());
        Assert.Equal(2, warning.GetProperty("record").GetInt32());

        Assert.Equal(1, text.ExitCode);
        AssertRecordError(text, file, 1);
        Assert.Contains($"warning: {file}: record 2 at byte {offsets[2]}: ", text.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void More_than_1000_records_fail_at_record_1000()
    {
        var file = _cli.WarmupFileOf("many", Enumerable.Range(0, 1001).Select(i => HalfPlusTwoRecord(i)).ToArray());

        var result = Run("validate", file);

        Assert.Equal(1, result.ExitCode);
        AssertRecordError(result, file, 1000);
    }

    [Fact]
    public void With_an_onnx_model_every_record_is_checked_against_its_signature()
    {
        var model = _cli.Model("half_plus_two.onnx", TestModels.HalfPlusTwo());
        var good = HalfPlusTwoRecord(1, 2);
        var wrongName = Predict("half_plus_two", ("nope", TensorProtoConverter.FromArray([1f], 1, 1)));
        var wrongDtype = Predict("half_plus_two", ("x", TensorProtoConverter.FromArray([1], 1, 1)));
        var wrongRank = Predict("half_plus_two", ("x", TensorProtoConverter.FromArray([1f, 2f], 2)));
        var wrongDim = Predict("half_plus_two", ("x:0", TensorProtoConverter.FromArray([1f, 2f], 1, 2)));
        var file = _cli.WarmupFileOf("against-model", good, wrongName, wrongDtype, wrongRank, wrongDim);

        var text = Run("validate", file, "--model", model);
        var json = Run("validate", file, "--model", model, "--json").Json();

        Assert.Equal(1, text.ExitCode);
        Assert.Contains("matches none of the model's inputs", AssertRecordError(text, file, 1).Value, StringComparison.Ordinal);
        Assert.Contains("is DT_INT32 but the model's input \"x\" takes DT_FLOAT", AssertRecordError(text, file, 2).Value, StringComparison.Ordinal);
        Assert.Contains("rank 1", AssertRecordError(text, file, 3).Value, StringComparison.Ordinal);
        Assert.Contains("size 2 in dimension 1 where the model takes 1", AssertRecordError(text, file, 4).Value, StringComparison.Ordinal);
        var records = json.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("record").GetInt32()).Distinct().ToArray();
        Assert.Equal([1, 2, 3, 4], records);
        Assert.All(json.GetProperty("errors").EnumerateArray(), e => Assert.Equal("SignatureMismatch", e.GetProperty("kind").GetString()));
    }

    [Fact]
    public void Classify_records_on_onnx_models_feed_features_by_name_or_serialized_examples()
    {
        static PredictionLog Examples(params (string Name, float[] Values)[] features)
        {
            var example = new Example { Features = new Features() };
            foreach (var (name, values) in features)
            {
                example.Features.Feature.Add(name, new Feature { FloatList = new FloatList { Value = { values } } });
            }

            var list = new ExampleList();
            list.Examples.Add(example);
            return new PredictionLog { ClassifyLog = new ClassifyLog { Request = new ClassificationRequest { Input = new Input { ExampleList = list } } } };
        }

        var twoInputs = _cli.Model("two.onnx", TestModels.TwoInputs());
        var strings = _cli.Model("strings.onnx", TestModels.StringInput());
        var good = Examples(("a", [1f, 2f, 3f]), ("b", [4f, 5f, 6f]));
        var file = _cli.WarmupFileOf("examples", good, Examples(("a", [1f, 2f, 3f])));

        var result = Run("validate", file, "--model", twoInputs);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("model input \"b\" has no feature of that name", AssertRecordError(result, file, 1).Value, StringComparison.Ordinal);
        Assert.DoesNotContain("record 0 at", result.Err, StringComparison.Ordinal);
        var goodFile = _cli.WarmupFileOf("good-examples", good);
        Assert.Equal(0, Run("run", "--model", twoInputs, "--requests", goodFile).ExitCode);
        Assert.Equal(0, Run("validate", goodFile, "--model", strings).ExitCode);
        Assert.Equal(0, Run("run", "--model", strings, "--requests", goodFile).ExitCode);
    }

    [Fact]
    public void Records_for_another_model_fail_against_it()
    {
        var model = _cli.Model("two_inputs.onnx", TestModels.TwoInputs());
        var file = _cli.WarmupFileOf("half", HalfPlusTwoRecord(1));

        var result = Run("validate", file, "--model", model);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("matches none of the model's inputs (\"a\", \"b\")", AssertRecordError(result, file, 0).Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_models_give_one_line_errors()
    {
        var file = _cli.WarmupFileOf("ok", HalfPlusTwoRecord(1));
        var text = _cli.PathOf("model.txt");
        File.WriteAllText(text, "not a model");
        var garbage = _cli.PathOf("garbage.onnx");
        File.WriteAllBytes(garbage, [0xff, 0xff, 0xff, 0x0f, 0x01]);

        AssertOneLineError(Run("validate", file, "--model", _cli.PathOf("missing.onnx")), 2, "model not found");
        AssertOneLineError(Run("validate", file, "--model", text), 2, text);
        AssertOneLineError(Run("validate", file, "--model", garbage), 1, garbage);
        AssertOneLineError(Run("validate", file, "--signature", "x"), 2, "--signature needs --model");
    }

    [SkippableFact]
    public void SavedModel_signatures_from_tensorflow_check_predict_and_classify_records()
    {
        Skip.If(RepoPaths.Interop is null, RepoPaths.SharedMissingMessage);
        var savedModel = Path.Combine(RepoPaths.Interop!, "tfserving", "saved_model_half_plus_two_cpu", "00000123");
        var unknownSignature = HalfPlusTwoRecord(1);
        unknownSignature.PredictLog.Request.ModelSpec.SignatureName = "nope";
        var classifyOnRegress = Classify("regress_x_to_y", 1);
        var file = _cli.WarmupFileOf("tf1", HalfPlusTwoRecord(1, 2, 3), Classify("classify_x_to_y", 2), unknownSignature, classifyOnRegress);

        var result = Run("validate", file, "--model", savedModel);

        Assert.Equal(1, result.ExitCode);
        var errors = result.ErrLines.Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, errors.Length);
        Assert.Contains("Serving signature key \"nope\" not found", AssertRecordError(result, file, 2).Value, StringComparison.Ordinal);
        Assert.Contains("whose method is regress", AssertRecordError(result, file, 3).Value, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Interop_tfexample_file_parses_as_records_without_a_log_type_and_is_flagged_on_every_record()
    {
        // tf.Example bytes happen to parse as PredictionLog (field 1 becomes log_metadata) with no log type: TF Serving would
        // count such records and run nothing, so each one is a warning.
        Skip.If(RepoPaths.Interop is null, RepoPaths.SharedMissingMessage);
        var mnist = Path.Combine(RepoPaths.Interop!, "tfx", "mnist.tfrecord");

        var result = Run("validate", mnist, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.Equal(1000, json.GetProperty("records").GetInt32());
        var warnings = json.GetProperty("warnings").EnumerateArray().ToArray();
        Assert.Equal(1000, warnings.Length);
        Assert.Equal(3203L * 999, warnings[999].GetProperty("offset").GetInt64());
        Assert.All(warnings, w => Assert.Contains("no log type is set", w.GetProperty("message").GetString(), StringComparison.Ordinal));
    }
}
