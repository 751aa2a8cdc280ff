using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format.Tests;

/// <summary>The one place that reads a PredictionLog by log type.</summary>
public class PredictionLogViewTests
{
    [Fact]
    public void A_predict_request_yields_its_inputs_by_name_and_one_predict_task()
    {
        var view = new PredictionLogView(TestData.Predict("m", ("z", TensorProtoConverter.FromArray(new[] { 1f }, 1)), ("a", TensorProtoConverter.FromArray(new[] { 2L }, 1))));

        var request = Assert.Single(view.Requests);
        Assert.Equal((WarmupLogType.Predict, 6, "predict", "predict_log", LogTypeSupport.Replayed), (view.Type, view.FieldNumber, view.Name, view.FieldName, view.Support));
        Assert.True(request.IsSet);
        Assert.False(request.TakesExamples);
        Assert.Equal(["a", "z"], request.Tensors.Select(t => t.Name));
        Assert.Equal([new WarmupTask("serving_default", TfServing.PredictMethod)], request.Tasks);
        Assert.Equal("predict", request.Tasks[0].SignatureMethod);
        Assert.Equal(("input", "output_filter"), (request.TensorLabel, request.OutputField));
        Assert.Equal("m", view.ModelSpec!.Name);
    }

    [Fact]
    public void A_multi_inference_request_runs_each_task_over_its_examples_and_context()
    {
        var input = new ExampleListWithContext { Context = new Example() };
        input.Examples.Add(new Example());
        input.Examples.Add(new Example());
        var multi = new MultiInferenceRequest { Input = new Input { ExampleListWithContext = input } };
        multi.Tasks.Add(new InferenceTask { ModelSpec = new ModelSpec { Name = "m", SignatureName = "c" }, MethodName = TfServing.ClassifyMethod });
        multi.Tasks.Add(new InferenceTask { ModelSpec = new ModelSpec { SignatureName = "r" }, MethodName = "tensorflow/serving/other" });

        var request = Assert.Single(new PredictionLogView(new PredictionLog { MultiInferenceLog = new MultiInferenceLog { Request = multi } }).Requests);

        Assert.True(request.TakesExamples);
        Assert.Equal(2, request.Examples!.Count);
        Assert.Same(input.Context, request.Context);
        Assert.Equal(["classify", null], request.Tasks.Select(t => t.SignatureMethod));
        Assert.Equal(["c", "r"], request.Tasks.Select(t => t.SignatureName));
        Assert.Equal("m", request.ModelSpec!.Name);
        Assert.Empty(request.Tensors);
    }

    [Fact]
    public void Unset_requests_missing_tensors_and_other_log_types_are_told_apart()
    {
        var unset = Assert.Single(new PredictionLogView(new PredictionLog { ClassifyLog = new ClassifyLog() }).Requests);
        Assert.False(unset.IsSet);
        Assert.Empty(unset.Tasks);
        Assert.Null(unset.Examples);

        var run = new SessionRunRequest { Feed = { new NamedTensorProto { Name = "b" }, new NamedTensorProto { Name = "a", Tensor = new TensorProto() } } };
        var session = Assert.Single(new PredictionLogView(new PredictionLog { SessionRunLog = new SessionRunLog { Request = run } }).Requests);
        Assert.Equal([("b", (TensorProto?)null), ("a", run.Feed[1].Tensor)], session.Tensors);
        Assert.Equal(("feed", "fetch", LogTypeSupport.Rejected), (session.TensorLabel, session.OutputField, new PredictionLogView(new PredictionLog { SessionRunLog = new SessionRunLog() }).Support));

        var streamed = new PredictionLog { PredictStreamedLog = new PredictStreamedLog { Request = { new PredictRequest(), new PredictRequest() } } };
        Assert.Equal(2, new PredictionLogView(streamed).Requests.Count);

        var none = new PredictionLogView(new PredictionLog { LogMetadata = new LogMetadata { ModelSpec = new ModelSpec { Name = "meta" } } });
        Assert.Empty(none.Requests);
        Assert.Equal((WarmupLogType.None, LogTypeSupport.SilentlySkipped, "meta"), (none.Type, none.Support, none.ModelSpec!.Name));
        Assert.Null(new PredictionLogView(new PredictionLog { PredictStreamedLog = new PredictStreamedLog() }).ModelSpec);
    }
}
