using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using BFloat16 = Warmup.Format.Tensors.BFloat16;
using Warmup.Testing;

namespace Warmup.Runtime.Tests;

public sealed class MappingTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Task<WarmupReport> Replay(InferenceSession session, WarmupReplayOptions? options, params PredictionLog[] logs) =>
        OnnxWarmup.RunAsync(session, Records.Stream(logs), options);

    private async Task<WarmupReplayException> ReplayFails(InferenceSession session, WarmupReplayOptions? options, params PredictionLog[] logs)
    {
        var path = Records.Write(_dir.File("warmup"), logs);
        return await Assert.ThrowsAsync<WarmupReplayException>(() => OnnxWarmup.RunAsync(session, path, options));
    }

    [Fact]
    public async Task Predict_records_run_with_exact_names_and_report_shapes_and_latencies()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var report = await Replay(session, null, Records.Predict(("x", Records.Floats(1, 4))), Records.Predict(("x", Records.Floats(2, 4))));

        Assert.Equal(2, report.Summary.Records);
        Assert.Equal(2, report.Summary.Replayed);
        Assert.Equal(4, report.Summary.Runs);
        Assert.All(report.Records, r => Assert.Equal(WarmupReplayOptions.DefaultIterations, r.IterationMs.Count));
        Assert.All(report.Records, r => Assert.All(r.IterationMs, ms => Assert.True(ms > 0)));
        Assert.Equal([2L, 4L], report.Records[1].Inputs.Single().Shape);
        Assert.Equal("DT_FLOAT", report.Records[1].Inputs.Single().DType);
        Assert.Equal(["serving_default"], report.Records[0].Signatures);
        Assert.Equal("predict", report.Records[0].LogType);
        Assert.NotNull(report.Records[0].LastToFirstRatio);
    }

    [Theory]
    [InlineData("x:0")]
    [InlineData("serving_default_x:0")]
    [InlineData("serving_default_x")]
    public async Task TensorFlow_tensor_names_resolve_to_the_model_input(string requestName)
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var report = await Replay(session, null, Records.Predict((requestName, Records.Floats(1, 4))));
        Assert.Equal("x", report.Records.Single().Inputs.Single().Name);
    }

    [Fact]
    public async Task Explicit_input_name_map_is_consulted_last()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var options = new WarmupReplayOptions { InputNameMap = new Dictionary<string, string> { ["features"] = "x" } };
        var report = await Replay(session, options, Records.Predict(("features", Records.Floats(3, 4))));
        Assert.Equal([3L, 4L], report.Records.Single().Inputs.Single().Shape);
    }

    [Fact]
    public async Task Unknown_input_name_names_file_record_and_the_session_inputs()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var ex = await ReplayFails(session, null, Records.Predict(("x", Records.Floats(1, 4))), Records.Predict(("images", Records.Floats(1, 4))));

        Assert.Equal(WarmupFailureKind.UnknownInput, ex.Kind);
        Assert.Equal(1, ex.RecordIndex);
        Assert.True(ex.ByteOffset > 0);
        Assert.Contains(_dir.File("warmup"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("record 1 at byte", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"images\" matches none of the model's inputs (\"x\")", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dtype_mismatch_is_reported_before_running()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var ex = await ReplayFails(session, null, Records.Predict(("x", TensorProtoConverter.FromArray(new int[4], 1, 4))));
        Assert.Equal(WarmupFailureKind.DTypeMismatch, ex.Kind);
        Assert.Contains("DT_INT32", ex.Problem, StringComparison.Ordinal);
        Assert.Contains("takes DT_FLOAT", ex.Problem, StringComparison.Ordinal);
        Assert.Equal(0, ex.RecordIndex);
    }

    [Theory]
    [InlineData(new long[] { 1, 5 }, "size 5 in dimension 1 where the model takes 4")]
    [InlineData(new long[] { 4 }, "rank 1 where the model takes rank 2")]
    [InlineData(new long[] { 1, 1, 4 }, "rank 3 where the model takes rank 2")]
    public async Task Shape_mismatch_is_reported_with_the_model_shape(long[] shape, string detail)
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var ex = await ReplayFails(session, null, Records.Predict(("x", Records.Floats(shape))));
        Assert.Equal(WarmupFailureKind.ShapeMismatch, ex.Kind);
        Assert.Contains(detail, ex.Problem, StringComparison.Ordinal);
        Assert.Contains("[batch,4]", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Symbolic_dimensions_accept_any_size()
    {
        using var session = Sessions.Create(TestModels.ConvRelu(channels: 4));
        var report = await Replay(session, null, Records.Predict(("x", Records.Floats(1, 3, 8, 8))), Records.Predict(("x", Records.Floats(2, 3, 5, 11))));
        Assert.Equal(2, report.Summary.Replayed);
        Assert.Equal([2L, 3L, 5L, 11L], report.Records[1].Inputs.Single().Shape);
    }

    [Fact]
    public async Task A_symbolic_dimension_must_agree_across_inputs()
    {
        using var session = Sessions.Create(TestModels.TwoInputs());
        var ex = await ReplayFails(session, null, Records.Predict(("a", Records.Floats(1, 3)), ("b", Records.Floats(2, 3))));
        Assert.Equal(WarmupFailureKind.ShapeMismatch, ex.Kind);
        Assert.Contains("dimension \"batch\"", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_model_input_must_be_fed()
    {
        using var session = Sessions.Create(TestModels.TwoInputs());
        var ex = await ReplayFails(session, null, Records.Predict(("a", Records.Floats(1, 3))));
        Assert.Equal(WarmupFailureKind.UnknownInput, ex.Kind);
        Assert.Contains("does not feed the model's input(s) \"b\"", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_request_names_for_one_input_are_refused()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var ex = await ReplayFails(session, null, Records.Predict(("x", Records.Floats(1, 4)), ("x:0", Records.Floats(1, 4))));
        Assert.Equal(WarmupFailureKind.UnknownInput, ex.Kind);
        Assert.Contains("both map to the model's input \"x\"", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsupported_dtype_is_refused_with_the_supported_list()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var tensor = new TensorProto { Dtype = DataType.DtComplex64, TensorShape = TensorShapes.ToProto([1, 4]) };
        var ex = await ReplayFails(session, null, Records.Predict(("x", tensor)));
        Assert.Equal(WarmupFailureKind.UnsupportedDtype, ex.Kind);
        Assert.Contains("DT_COMPLEX64", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inconsistent_tensor_content_is_refused()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var tensor = new TensorProto { Dtype = DataType.DtFloat, TensorShape = TensorShapes.ToProto([1, 4]), TensorContent = ByteString.CopyFrom(new byte[3]) };
        var ex = await ReplayFails(session, null, Records.Predict(("x", tensor)));
        Assert.Equal(WarmupFailureKind.InvalidTensor, ex.Kind);
    }

    [Fact]
    public async Task Output_filter_selects_outputs_by_model_or_tensor_name()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var log = Records.Predict(("x", Records.Floats(1, 4)));
        log.PredictLog.Request.OutputFilter.Add("y:0");
        Assert.Equal(1, (await Replay(session, null, log)).Summary.Replayed);

        var bad = Records.Predict(("x", Records.Floats(1, 4)));
        bad.PredictLog.Request.OutputFilter.Add("scores");
        var ex = await ReplayFails(session, null, bad);
        Assert.Equal(WarmupFailureKind.UnknownOutput, ex.Kind);
        Assert.Contains("\"scores\"", ex.Problem, StringComparison.Ordinal);
        Assert.Contains("(\"y\")", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_signature_fails_like_TF_Serving_and_several_sessions_are_selected_by_signature()
    {
        using var matmul = Sessions.Create(TestModels.MatMulAdd());
        using var two = Sessions.Create(TestModels.TwoInputs());
        var ex = await ReplayFails(matmul, null, Records.Predict("classify_x", ("x", Records.Floats(1, 4))));
        Assert.Equal(WarmupFailureKind.UnknownSignature, ex.Kind);
        Assert.Contains("Serving signature key \"classify_x\" not found.", ex.Problem, StringComparison.Ordinal);

        var sessions = new Dictionary<string, InferenceSession> { ["serving_default"] = matmul, ["sum"] = two };
        var report = await OnnxWarmup.RunAsync(sessions, Records.Stream(
            Records.Predict(("x", Records.Floats(1, 4))),
            Records.Predict("sum", ("a", Records.Floats(2, 3)), ("b", Records.Floats(2, 3)))));
        Assert.Equal(["serving_default"], report.Records[0].Signatures);
        Assert.Equal(["sum"], report.Records[1].Signatures);
        Assert.Equal(2, report.Summary.Replayed);
    }

    public static TheoryData<OnnxElementType, TensorProto> EveryDtype()
    {
        var data = new TheoryData<OnnxElementType, TensorProto>
        {
            { OnnxElementType.Float, TensorProtoConverter.FromArray(new[] { 1.5f, -2f, 3.25f }, 3) },
            { OnnxElementType.Double, TensorProtoConverter.FromArray(new[] { 1.5, -2.0, 1e300 }, 3) },
            { OnnxElementType.Int8, TensorProtoConverter.FromArray(new sbyte[] { -128, 0, 127 }, 3) },
            { OnnxElementType.UInt8, TensorProtoConverter.FromArray(new byte[] { 0, 128, 255 }, 3) },
            { OnnxElementType.Int16, TensorProtoConverter.FromArray(new short[] { -32768, 1, 32767 }, 3) },
            { OnnxElementType.UInt16, TensorProtoConverter.FromArray(new ushort[] { 0, 1, 65535 }, 3) },
            { OnnxElementType.Int32, TensorProtoConverter.FromArray(new[] { int.MinValue, 0, int.MaxValue }, 3) },
            { OnnxElementType.UInt32, TensorProtoConverter.FromArray(new[] { 0u, 7u, uint.MaxValue }, 3) },
            { OnnxElementType.Int64, TensorProtoConverter.FromArray(new[] { long.MinValue, 5L, long.MaxValue }, 3) },
            { OnnxElementType.UInt64, TensorProtoConverter.FromArray(new[] { 0ul, 9ul, ulong.MaxValue }, 3) },
            { OnnxElementType.Bool, TensorProtoConverter.FromArray(new[] { true, false, true }, 3) },
            { OnnxElementType.Float16, TensorProtoConverter.FromArray(new[] { (Half)1.5f, (Half)(-2f), Half.MaxValue }, 3) },
            { OnnxElementType.BFloat16, TensorProtoConverter.FromArray(new[] { (BFloat16)1.5f, (BFloat16)(-2f), (BFloat16)3f }, 3) },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryDtype))]
    public void Every_supported_dtype_reaches_the_session_bit_for_bit(OnnxElementType type, TensorProto tensor)
    {
        using var session = Sessions.Create(TestModels.Identity(type));
        using var prepared = RequestMapper.Prepare(Records.Predict(("x", tensor)), OnnxWarmup.Single(session), new WarmupReplayOptions());
        var run = prepared.Runs.Single();
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, run.InputNames, run.Inputs, run.OutputNames);

        var expected = TensorProtoConverter.ToTensorData(tensor);
        var bytes = MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(expected.Values), expected.Values.Length * expected.DType.ElementSize);
        Assert.Equal(bytes.ToArray(), outputs[0].GetTensorMutableRawData().ToArray());
        Assert.Equal([3L], outputs[0].GetTensorTypeAndShape().Shape);
    }

    [Fact]
    public void Numeric_inputs_are_tensors_over_the_record_bytes_and_misaligned_bytes_are_copied()
    {
        using var session = Sessions.Create(TestModels.Identity(OnnxElementType.Float));
        float[] values = [1.5f, -2f, 3.25f];
        var aligned = TensorProtoConverter.FromArray(values, 3);
        var buffer = new byte[13];
        MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(buffer.AsSpan(1));
        var misaligned = aligned.Clone();
        misaligned.TensorContent = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(1, 12));

        foreach (var (tensor, shared) in new[] { (aligned, true), (misaligned, false) })
        {
            using var prepared = RequestMapper.Prepare(Records.Predict(("x", tensor)), OnnxWarmup.Single(session), new WarmupReplayOptions());
            var run = prepared.Runs.Single();
            var input = run.Inputs[0].GetTensorMutableRawData();
            Assert.Equal(shared, Unsafe.AreSame(ref MemoryMarshal.GetReference(input), ref MemoryMarshal.GetReference(tensor.TensorContent.Span)));
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, run.InputNames, run.Inputs, run.OutputNames);
            Assert.Equal(values, outputs[0].GetTensorDataAsSpan<float>().ToArray());
        }
    }

    [Fact]
    public void Typed_value_fields_follow_TF_fill_rules()
    {
        // float_val [2.5] with shape [4]: TF repeats the last value to fill the shape.
        var tensor = new TensorProto { Dtype = DataType.DtFloat, TensorShape = TensorShapes.ToProto([4]), FloatVal = { 2.5f } };
        using var session = Sessions.Create(TestModels.Identity(OnnxElementType.Float));
        using var prepared = RequestMapper.Prepare(Records.Predict(("x", tensor)), OnnxWarmup.Single(session), new WarmupReplayOptions());
        var run = prepared.Runs.Single();
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, run.InputNames, run.Inputs, run.OutputNames);
        Assert.Equal([2.5f, 2.5f, 2.5f, 2.5f], outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [Fact]
    public void String_tensors_reach_the_session_as_raw_bytes()
    {
        // ONNX Runtime's .NET API reads strings back as UTF-16 only, so the round trip uses valid UTF-8.
        byte[][] values = [[0x00, 0x41], "héllo"u8.ToArray(), []];
        using var session = Sessions.Create(TestModels.StringInput());
        using var prepared = RequestMapper.Prepare(Records.Predict(("text", TensorProtoConverter.FromStrings(values, 3))), OnnxWarmup.Single(session),
            new WarmupReplayOptions());
        var run = prepared.Runs.Single();
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, run.InputNames, run.Inputs, run.OutputNames);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(values[i], System.Text.Encoding.UTF8.GetBytes(outputs[0].GetStringElementAsMemory(i).ToArray()));
        }
    }

    [Fact]
    public void Classify_feeds_serialized_examples_to_a_single_string_input()
    {
        using var session = Sessions.Create(TestModels.StringInput("tf_example"));
        // Small int64 features keep every serialized byte below 0x80, so the UTF-16 read-back is exact.
        var examples = new[] { Records.Example(("x", Records.Int64Feature(1))), Records.Example(("x", Records.Int64Feature(2, 3))) };
        var request = new ClassificationRequest { Input = new Input { ExampleList = new ExampleList { Examples = { examples } } } };
        var log = new PredictionLog { ClassifyLog = new ClassifyLog { Request = request } };

        using var prepared = RequestMapper.Prepare(log, OnnxWarmup.Single(session), new WarmupReplayOptions());
        var run = prepared.Runs.Single();
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, run.InputNames, run.Inputs, run.OutputNames);
        Assert.Equal([2L], outputs[0].GetTensorTypeAndShape().Shape);
        Assert.Equal(examples[1].ToByteArray(), System.Text.Encoding.UTF8.GetBytes(outputs[0].GetStringElementAsMemory(1).ToArray()));
    }

    [Fact]
    public async Task Regress_feeds_features_to_same_named_inputs_with_context_merged()
    {
        using var session = Sessions.Create(TestModels.TwoInputs());
        var context = Records.Example(("b", Records.FloatFeature(9f, 9f, 9f)));
        var examples = new[]
        {
            Records.Example(("a", Records.FloatFeature(1f, 2f, 3f)), ("label", Records.Int64Feature(1))),
            Records.Example(("a", Records.FloatFeature(4f, 5f, 6f)), ("b", Records.FloatFeature(0f, 0f, 0f)), ("label", Records.Int64Feature(0))),
        };
        var request = new RegressionRequest
        {
            ModelSpec = new ModelSpec { SignatureName = "" },
            Input = new Input { ExampleListWithContext = new ExampleListWithContext { Examples = { examples }, Context = context } },
        };
        var report = await Replay(session, null, new PredictionLog { RegressLog = new RegressLog { Request = request } });

        var record = report.Records.Single();
        Assert.Equal(WarmupRecordStatus.Ok, record.Status);
        Assert.Equal("regress", record.LogType);
        Assert.Equal(["a:DT_FLOAT[2,3]", "b:DT_FLOAT[2,3]"], record.Inputs.Select(i => i.ToString()));
    }

    [Fact]
    public async Task Feature_errors_name_the_input_and_the_features()
    {
        using var session = Sessions.Create(TestModels.TwoInputs());
        var missing = RegressLog(Records.Example(("a", Records.FloatFeature(1f, 2f, 3f)), ("c", Records.FloatFeature(1f, 2f, 3f))));
        var ex = await ReplayFails(session, null, missing);
        Assert.Equal(WarmupFailureKind.UnknownInput, ex.Kind);
        Assert.Contains("input \"b\" has no feature of that name in the tf.Examples (features: \"a\", \"c\")", ex.Problem, StringComparison.Ordinal);

        var wrongType = RegressLog(Records.Example(("a", Records.FloatFeature(1f, 2f, 3f)), ("b", Records.Int64Feature(1, 2, 3))));
        ex = await ReplayFails(session, null, wrongType);
        Assert.Equal(WarmupFailureKind.DTypeMismatch, ex.Kind);
        Assert.Contains("feature \"b\" is DT_INT64", ex.Problem, StringComparison.Ordinal);

        var ragged = RegressLog(
            Records.Example(("a", Records.FloatFeature(1f, 2f, 3f)), ("b", Records.FloatFeature(1f, 2f, 3f))),
            Records.Example(("a", Records.FloatFeature(1f, 2f)), ("b", Records.FloatFeature(1f, 2f, 3f))));
        ex = await ReplayFails(session, null, ragged);
        Assert.Equal(WarmupFailureKind.InvalidTensor, ex.Kind);
        Assert.Contains("tf.Example 1", ex.Problem, StringComparison.Ordinal);

        var empty = new PredictionLog { RegressLog = new RegressLog { Request = new RegressionRequest { Input = new Input { ExampleList = new ExampleList() } } } };
        ex = await ReplayFails(session, null, empty);
        Assert.Equal(WarmupFailureKind.InvalidRequest, ex.Kind);
        Assert.Contains("empty example list", ex.Problem, StringComparison.Ordinal);
    }

    private static PredictionLog RegressLog(params Example[] examples) => new()
    {
        RegressLog = new RegressLog { Request = new RegressionRequest { Input = new Input { ExampleList = new ExampleList { Examples = { examples } } } } },
    };

    [Fact]
    public async Task Multi_inference_runs_each_task_on_its_signature()
    {
        using var serialized = Sessions.Create(TestModels.StringInput("tf_example"));
        using var features = Sessions.Create(TestModels.TwoInputs());
        var sessions = new Dictionary<string, InferenceSession> { ["classify_x"] = serialized, ["regress_x"] = features };
        var request = new MultiInferenceRequest
        {
            Tasks =
            {
                new InferenceTask { ModelSpec = new ModelSpec { SignatureName = "classify_x" }, MethodName = TfServing.ClassifyMethod },
                new InferenceTask { ModelSpec = new ModelSpec { SignatureName = "regress_x" }, MethodName = TfServing.RegressMethod },
            },
            Input = new Input { ExampleList = new ExampleList { Examples = { Records.Example(("a", Records.FloatFeature(1f, 2f, 3f)), ("b", Records.FloatFeature(1f, 2f, 3f))) } } },
        };
        var report = await OnnxWarmup.RunAsync(sessions, Records.Stream(new PredictionLog { MultiInferenceLog = new MultiInferenceLog { Request = request } }));

        var record = report.Records.Single();
        Assert.Equal(["classify_x", "regress_x"], record.Signatures);
        Assert.Equal(4, report.Summary.Runs);
        Assert.Equal("multiInference", record.LogType);

        request.Tasks.Add(new InferenceTask { ModelSpec = new ModelSpec { SignatureName = "regress_x" }, MethodName = TfServing.PredictMethod });
        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() =>
            OnnxWarmup.RunAsync(sessions, Records.Stream(new PredictionLog { MultiInferenceLog = new MultiInferenceLog { Request = request } })));
        Assert.Equal(WarmupFailureKind.InvalidRequest, ex.Kind);
    }

    [Fact]
    public async Task Session_run_and_streamed_records_are_rejected_with_TF_Serving_messages()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var sessionRun = new PredictionLog
        {
            SessionRunLog = new SessionRunLog
            {
                Request = new SessionRunRequest { Feed = { new NamedTensorProto { Name = "x:0", Tensor = Records.Floats(2, 4) } }, Fetch = { "y:0" } },
            },
        };
        var ex = await ReplayFails(session, null, sessionRun);
        Assert.Equal(WarmupFailureKind.UnsupportedLogType, ex.Kind);
        Assert.Contains("Unsupported log_type for warmup: 5", ex.Problem, StringComparison.Ordinal);

        var streamed = new PredictionLog { PredictStreamedLog = new PredictStreamedLog { Request = { new PredictRequest() } } };
        ex = await ReplayFails(session, null, streamed);
        Assert.Contains("Unsupported log_type for warmup: 7", ex.Problem, StringComparison.Ordinal);

        var report = await Replay(session, new WarmupReplayOptions { AllowSessionRunFeeds = true }, sessionRun);
        Assert.Equal("sessionRun", report.Records.Single().LogType);
        Assert.Equal(WarmupRecordStatus.Ok, report.Records.Single().Status);
        Assert.Equal([2L, 4L], report.Records.Single().Inputs.Single().Shape);
    }

    [Fact]
    public async Task A_record_without_log_type_is_counted_and_runs_nothing()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var report = await Replay(session, null, new PredictionLog(), Records.Predict(("x", Records.Floats(1, 4))));
        Assert.Equal(2, report.Summary.Records);
        Assert.Equal(1, report.Summary.Skipped);
        Assert.Equal(WarmupRecordStatus.Skipped, report.Records[0].Status);
        Assert.Equal("none", report.Records[0].LogType);
        Assert.Equal(2, report.Summary.Runs);
    }
}
