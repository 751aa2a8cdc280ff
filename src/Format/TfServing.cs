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

/// <summary>TensorFlow Serving's warmup constants and rules, in one place (its log-type rules are in PredictionLogView.cs).</summary>
public static partial class TfServing
{
    /// <summary>TF Serving's <c>kMaxNumRecords</c>: more records fail the model load.</summary>
    public const int MaxRecords = TfServingLimits.MaxRecords;

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
}
