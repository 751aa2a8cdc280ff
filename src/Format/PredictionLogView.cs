using Google.Protobuf;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;

namespace Warmup.Format;

/// <summary>A PredictionLog's log type, valued by its field number in <c>PredictionLog.log_type</c> (TF Serving quotes it).</summary>
internal enum WarmupLogType
{
    None = 0,
    Classify = 2,
    Regress = 3,
    MultiInference = 4,
    SessionRun = 5,
    Predict = 6,
    PredictStreamed = 7,
}

/// <summary>One run a request asks for: the signature it addresses and the TF method it runs.</summary>
/// <param name="SignatureName">The signature as the request names it (empty or null means <c>serving_default</c>).</param>
/// <param name="MethodName"><c>tensorflow/serving/predict</c>, <c>…/classify</c>, <c>…/regress</c>, a multi-inference task's own method name, or null for session_run.</param>
internal readonly record struct WarmupTask(string? SignatureName, string? MethodName)
{
    /// <summary>The method as signature files name it (<c>predict</c>, <c>classify</c>, <c>regress</c>), or null for another method.</summary>
    public string? SignatureMethod => MethodName switch
    {
        TfServing.PredictMethod => "predict",
        TfServing.ClassifyMethod => "classify",
        TfServing.RegressMethod => "regress",
        _ => null,
    };
}

/// <summary>
/// One request message of a PredictionLog, whatever its type: what it feeds (named tensors, or tf.Examples) and what it
/// runs (<see cref="Tasks"/>).
/// </summary>
internal readonly struct WarmupRequestView
{
    internal WarmupRequestView(WarmupLogType type, IMessage? message)
    {
        Type = type;
        Message = message;
    }

    /// <summary>The record's log type.</summary>
    public WarmupLogType Type { get; }

    /// <summary>The request message (<see cref="PredictRequest"/>, <see cref="ClassificationRequest"/>…), or null when the log carries none.</summary>
    public IMessage? Message { get; }

    /// <summary>Whether the log carries the request.</summary>
    public bool IsSet => Message is not null;

    /// <summary>The request's model spec (a multi-inference request's first task's).</summary>
    public ModelSpec? ModelSpec => Message switch
    {
        PredictRequest predict => predict.ModelSpec,
        ClassificationRequest classify => classify.ModelSpec,
        RegressionRequest regress => regress.ModelSpec,
        MultiInferenceRequest multi => multi.Tasks.FirstOrDefault()?.ModelSpec,
        SessionRunRequest run => run.ModelSpec,
        _ => null,
    };

    /// <summary>Whether the request feeds tf.Examples (<see cref="Input"/>) rather than named tensors (<see cref="Tensors"/>).</summary>
    public bool TakesExamples => Type is WarmupLogType.Classify or WarmupLogType.Regress or WarmupLogType.MultiInference;

    /// <summary>The input of a classify, regress or multi-inference request.</summary>
    public Input? Input => Message switch
    {
        ClassificationRequest classify => classify.Input,
        RegressionRequest regress => regress.Input,
        MultiInferenceRequest multi => multi.Input,
        _ => null,
    };

    /// <summary>The tf.Examples of <see cref="Input"/> (<c>example_list</c> or <c>example_list_with_context</c>), or null when it has neither.</summary>
    public IReadOnlyList<Example>? Examples => Input is { } input ? input.KindCase switch
    {
        Input.KindOneofCase.ExampleList => input.ExampleList.Examples,
        Input.KindOneofCase.ExampleListWithContext => input.ExampleListWithContext.Examples,
        _ => null,
    } : null;

    /// <summary>The context example whose features TF merges into every one of <see cref="Examples"/>, or null.</summary>
    public Example? Context => Input is { KindCase: Input.KindOneofCase.ExampleListWithContext } input ? input.ExampleListWithContext.Context : null;

    /// <summary>
    /// The named tensors of a predict request (by name, ordinal: its map has no order) or a session run (its feeds as
    /// listed; a feed may lack its tensor). Built on each call.
    /// </summary>
    public IReadOnlyList<(string Name, TensorProto? Tensor)> Tensors => Message switch
    {
        PredictRequest predict => [.. predict.Inputs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, (TensorProto?)p.Value))],
        SessionRunRequest run => [.. run.Feed.Select(f => (f.Name, (TensorProto?)f.Tensor))],
        _ => [],
    };

    /// <summary>How messages name one of <see cref="Tensors"/>: <c>input</c>, or <c>feed</c> for a session run.</summary>
    public string TensorLabel => Type == WarmupLogType.SessionRun ? "feed" : "input";

    /// <summary>The outputs the request asks for (empty: every output).</summary>
    public IEnumerable<string> OutputNames => Message switch
    {
        PredictRequest predict => predict.OutputFilter,
        SessionRunRequest run => run.Fetch,
        _ => [],
    };

    /// <summary>The field that names <see cref="OutputNames"/>: <c>output_filter</c>, <c>fetch</c>, or <c>outputs</c> for tf.Example requests.</summary>
    public string OutputField => Type switch
    {
        WarmupLogType.SessionRun => "fetch",
        WarmupLogType.Predict or WarmupLogType.PredictStreamed => "output_filter",
        _ => "outputs",
    };

    /// <summary>The runs the request asks for: one, or one per inference task of a multi-inference request (none when it is not set).</summary>
    public IReadOnlyList<WarmupTask> Tasks => Message switch
    {
        PredictRequest predict => [new WarmupTask(predict.ModelSpec?.SignatureName, TfServing.PredictMethod)],
        ClassificationRequest classify => [new WarmupTask(classify.ModelSpec?.SignatureName, TfServing.ClassifyMethod)],
        RegressionRequest regress => [new WarmupTask(regress.ModelSpec?.SignatureName, TfServing.RegressMethod)],
        MultiInferenceRequest multi => multi.Tasks.Select(t => new WarmupTask(t.ModelSpec?.SignatureName, t.MethodName)).ToList(),
        SessionRunRequest run => [new WarmupTask(run.ModelSpec?.SignatureName, null)],
        _ => [],
    };
}

/// <summary>
/// The one place that reads a <see cref="PredictionLog"/> by log type: its type, model spec and request messages, for
/// the validator, the signature checker, the record budget, request shapes, the replay and the tool.
/// </summary>
internal readonly struct PredictionLogView
{
    public PredictionLogView(PredictionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        Log = log;
    }

    /// <summary>The record.</summary>
    public PredictionLog Log { get; }

    /// <summary>Its log type.</summary>
    public WarmupLogType Type => (WarmupLogType)(int)Log.LogTypeCase;

    /// <summary>The log type's field number (TF Serving's messages quote it: <c>Unsupported log_type for warmup: 5</c>).</summary>
    public int FieldNumber => (int)Type;

    /// <summary>How TF Serving's classic runtime treats the record.</summary>
    public LogTypeSupport Support => TfServing.GetSupport(Log.LogTypeCase);

    /// <summary>The log type's name in JSON and messages (<see cref="TfServing.LogTypeName"/>).</summary>
    public string Name => TfServing.LogTypeName(Log.LogTypeCase);

    /// <summary>The log type as the protos name its request: <c>predict</c>, <c>classify</c>, <c>regress</c>, <c>multi_inference</c>, <c>session_run</c>, <c>predict_streamed</c>.</summary>
    public string RequestName => Type switch
    {
        WarmupLogType.Classify => "classify",
        WarmupLogType.Regress => "regress",
        WarmupLogType.MultiInference => "multi_inference",
        WarmupLogType.SessionRun => "session_run",
        WarmupLogType.Predict => "predict",
        WarmupLogType.PredictStreamed => "predict_streamed",
        _ => "none",
    };

    /// <summary>The log type's field in <c>PredictionLog</c>: <c>predict_log</c>, <c>classify_log</c>…</summary>
    public string FieldName => Type == WarmupLogType.None ? "log_type" : RequestName + "_log";

    /// <summary>The model spec the record carries (<see cref="TfServing.GetModelSpec"/>).</summary>
    public ModelSpec? ModelSpec => TfServing.GetModelSpec(Log);

    /// <summary>
    /// The record's request messages: exactly one for predict, classify, regress, multi-inference and session-run logs
    /// (<see cref="WarmupRequestView.IsSet"/> false when the log carries none), one per request of a predict_streamed log,
    /// none without log type.
    /// </summary>
    public IReadOnlyList<WarmupRequestView> Requests
    {
        get
        {
            var type = Type;
            return Log.LogTypeCase switch
            {
                PredictionLog.LogTypeOneofCase.PredictLog => [new(type, Log.PredictLog.Request)],
                PredictionLog.LogTypeOneofCase.ClassifyLog => [new(type, Log.ClassifyLog.Request)],
                PredictionLog.LogTypeOneofCase.RegressLog => [new(type, Log.RegressLog.Request)],
                PredictionLog.LogTypeOneofCase.MultiInferenceLog => [new(type, Log.MultiInferenceLog.Request)],
                PredictionLog.LogTypeOneofCase.SessionRunLog => [new(type, Log.SessionRunLog.Request)],
                PredictionLog.LogTypeOneofCase.PredictStreamedLog => Log.PredictStreamedLog.Request.Select(r => new WarmupRequestView(type, r)).ToList(),
                _ => [],
            };
        }
    }
}

/// <summary>TF Serving's rules for log types (the rest of <see cref="TfServing"/> is in TfServing.cs).</summary>
public static partial class TfServing
{
    /// <summary>How TF Serving's classic runtime treats <paramref name="logType"/>.</summary>
    public static LogTypeSupport GetSupport(PredictionLog.LogTypeOneofCase logType) => logType switch
    {
        PredictionLog.LogTypeOneofCase.PredictLog or PredictionLog.LogTypeOneofCase.ClassifyLog
            or PredictionLog.LogTypeOneofCase.RegressLog or PredictionLog.LogTypeOneofCase.MultiInferenceLog => LogTypeSupport.Replayed,
        PredictionLog.LogTypeOneofCase.None => LogTypeSupport.SilentlySkipped,
        _ => LogTypeSupport.Rejected,
    };

    /// <summary>The proto field number of a log type (TF Serving's messages quote it: <c>Unsupported log_type for warmup: 5</c>).</summary>
    public static int FieldNumber(PredictionLog.LogTypeOneofCase logType) => (int)logType;

    /// <summary>The log type's name as used in JSON and messages: predict, classify, regress, multiInference, sessionRun, predictStreamed, none.</summary>
    public static string LogTypeName(PredictionLog.LogTypeOneofCase logType) => logType switch
    {
        PredictionLog.LogTypeOneofCase.PredictLog => "predict",
        PredictionLog.LogTypeOneofCase.ClassifyLog => "classify",
        PredictionLog.LogTypeOneofCase.RegressLog => "regress",
        PredictionLog.LogTypeOneofCase.MultiInferenceLog => "multiInference",
        PredictionLog.LogTypeOneofCase.SessionRunLog => "sessionRun",
        PredictionLog.LogTypeOneofCase.PredictStreamedLog => "predictStreamed",
        _ => "none",
    };

    /// <summary>The model spec a record carries, whatever its log type (null when none).</summary>
    public static ModelSpec? GetModelSpec(PredictionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var view = new PredictionLogView(log);
        return view.Type == WarmupLogType.None ? log.LogMetadata?.ModelSpec : view.Requests is [var first, ..] ? first.ModelSpec : null;
    }
}
