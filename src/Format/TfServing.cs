using Warmup.Format.Protos.Serving;

namespace Warmup.Format;

/// <summary>How TF Serving's classic runtime treats a record's log type during warmup.</summary>
public enum LogTypeSupport
{
    /// <summary>The record is replayed (predict, classify, regress, multi_inference).</summary>
    Replayed,
    /// <summary>No log type is set: TF Serving counts the record and runs nothing.</summary>
    SilentlySkipped,
    /// <summary>TF Serving fails the load with UNIMPLEMENTED (session_run, predict_streamed).</summary>
    Rejected,
}

/// <summary>TensorFlow Serving's warmup constants and rules, in one place.</summary>
public static class TfServing
{
    /// <summary>TF Serving's <c>kMaxNumRecords</c>: more records fail the model load.</summary>
    public const int MaxRecords = 1000;

    /// <summary>The warmup file's name.</summary>
    public const string WarmupFileName = "tf_serving_warmup_requests";

    /// <summary>The directory inside a model version that holds the warmup file.</summary>
    public const string AssetsExtraDirectory = "assets.extra";

    /// <summary>The signature used when a request names none.</summary>
    public const string DefaultSignatureName = "serving_default";

    /// <summary>The meta graph tag TF Serving serves.</summary>
    public const string ServeTag = "serve";

    /// <summary>Method name of predict signatures.</summary>
    public const string PredictMethod = "tensorflow/serving/predict";

    /// <summary>Method name of classify signatures.</summary>
    public const string ClassifyMethod = "tensorflow/serving/classify";

    /// <summary>Method name of regress signatures.</summary>
    public const string RegressMethod = "tensorflow/serving/regress";

    /// <summary>The warmup file's path relative to a model version directory.</summary>
    public static string RelativeWarmupPath { get; } = Path.Combine(AssetsExtraDirectory, WarmupFileName);

    /// <summary>
    /// The warmup file's path in TF Serving's layout: <c>&lt;base&gt;/&lt;name&gt;/&lt;version&gt;/assets.extra/tf_serving_warmup_requests</c>.
    /// </summary>
    public static string GetWarmupFilePath(string modelBasePath, string modelName, long version)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelBasePath);
        ArgumentException.ThrowIfNullOrEmpty(modelName);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        return Path.Combine(modelBasePath, modelName, version.ToString(System.Globalization.CultureInfo.InvariantCulture), RelativeWarmupPath);
    }

    /// <summary>The signature a request addresses: an empty name means <see cref="DefaultSignatureName"/>.</summary>
    public static string ResolveSignatureName(string? signatureName) =>
        string.IsNullOrEmpty(signatureName) ? DefaultSignatureName : signatureName;

    /// <summary>Whether a signature key names a serving signature (keys starting with <c>__</c> do not).</summary>
    public static bool IsServingSignatureKey(string key) => !key.StartsWith("__", StringComparison.Ordinal);

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
        return log.LogTypeCase switch
        {
            PredictionLog.LogTypeOneofCase.PredictLog => log.PredictLog.Request?.ModelSpec,
            PredictionLog.LogTypeOneofCase.ClassifyLog => log.ClassifyLog.Request?.ModelSpec,
            PredictionLog.LogTypeOneofCase.RegressLog => log.RegressLog.Request?.ModelSpec,
            PredictionLog.LogTypeOneofCase.MultiInferenceLog => log.MultiInferenceLog.Request?.Tasks.FirstOrDefault()?.ModelSpec,
            PredictionLog.LogTypeOneofCase.SessionRunLog => log.SessionRunLog.Request?.ModelSpec,
            PredictionLog.LogTypeOneofCase.PredictStreamedLog => log.PredictStreamedLog.Request.FirstOrDefault()?.ModelSpec,
            _ => log.LogMetadata?.ModelSpec,
        };
    }
}
