using Microsoft.ML.OnnxRuntime;
using Warmup.Format;

namespace Warmup.Runtime.Hosting;

/// <summary>When the host may start serving.</summary>
public enum WarmupStartupMode
{
    /// <summary>
    /// Host start-up waits until the session is created and warm (TF Serving's behaviour); a failure fails start-up.
    /// Hosted services registered later, such as the web server, start only after.
    /// </summary>
    Blocking,

    /// <summary>Start-up goes on; the model warms in the background and the readiness health check is Unhealthy until it is warm.</summary>
    Background,
}

/// <summary>How a model is loaded and warmed by <c>AddWarmedOnnxModel</c> (<see cref="WarmupServiceCollectionExtensions"/>).</summary>
public sealed partial class WarmedOnnxModelOptions
{
    /// <summary>The ONNX model serving the <c>serving_default</c> signature. Either this or <see cref="SessionFactory"/> is required.</summary>
    public string? ModelPath { get; set; }

    /// <summary>
    /// The warmup file. Default: <c>assets.extra/tf_serving_warmup_requests</c> in the model's folder (TF Serving's
    /// layout). A missing file is logged and the model is ready without warmup, as in TF Serving.
    /// </summary>
    public string? WarmupFilePath { get; set; }

    /// <summary>More sessions selected by signature name: signature key → ONNX model path.</summary>
    public IDictionary<string, string> AdditionalSignatures { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Creates the <c>serving_default</c> session instead of <see cref="ModelPath"/> (e.g. from bytes or an embedded resource).</summary>
    public Func<IServiceProvider, InferenceSession>? SessionFactory { get; set; }

    /// <summary>auto (default: CUDA when it loads, else CPU with one warning), cpu or cuda.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Auto;

    /// <summary>CUDA provider options (device, convolution algorithm search, CUDA graphs, memory limit).</summary>
    public CudaProviderOptions? Cuda { get; set; }

    /// <summary>Applied to the session options before the provider is appended (threads, graph optimisation level…).</summary>
    public Action<SessionOptions>? ConfigureSessionOptions { get; set; }

    /// <summary>Blocking (default, TF Serving's behaviour) or background warmup.</summary>
    public WarmupStartupMode StartupMode { get; set; } = WarmupStartupMode.Blocking;

    /// <summary>How the warmup file is replayed; its model name defaults to the registered name and its logger to the host's.</summary>
    public WarmupReplayOptions Replay { get; set; } = new();

    /// <summary>
    /// Whole-request-path warmup: after the replay, every record of the warmup file is handed once to this delegate,
    /// which runs what the application's endpoint runs for such a request — pre-processing, the session,
    /// post-processing — so that the host's own code is compiled and its caches are filled before the model reports
    /// ready (the replay has already run each record's shape on the session). The model stays <see cref="WarmedModelState.Warming"/> until it returns.
    /// A throw fails the load under <see cref="WarmupFailurePolicy.FailLoad"/> and is logged under LogAndContinue.
    /// </summary>
    public Func<WarmupRequest, CancellationToken, ValueTask>? RequestPathWarmup { get; set; }

    /// <summary>What is wrong with these options, one message per problem naming the model and the option.</summary>
    internal IEnumerable<string> Problems(string model)
    {
        if (ModelPath is null && SessionFactory is null)
        {
            yield return $"Model {model}: set ModelPath or SessionFactory.";
        }

        if (Replay is null)
        {
            yield return $"Model {model}: Replay is null; leave it unset for the defaults.";
        }
        else
        {
            foreach (var (option, value, rule) in Replay.Problems())
            {
                yield return $"Model {model}: Replay.{option} is {value}; it {rule}.";
            }
        }

        foreach (var problem in Coverage?.Problems(model) ?? [$"Model {model}: Coverage is null; leave it unset for the defaults."])
        {
            yield return problem;
        }

        foreach (var problem in Recording?.Problems(model) ?? [$"Model {model}: Recording is null; leave it unset for the defaults."])
        {
            yield return problem;
        }
    }

    internal string? ResolveWarmupFilePath() =>
        WarmupFilePath ?? (ModelPath is null ? null
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ModelPath)) ?? ".", TfServing.RelativeWarmupPath));
}
