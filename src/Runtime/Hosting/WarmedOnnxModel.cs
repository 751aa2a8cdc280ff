using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Warmup.Format;

namespace Warmup.Runtime.Hosting;

/// <summary>Where a registered model is in its start-up.</summary>
public enum WarmedModelState
{
    /// <summary>The host has not started it yet.</summary>
    NotStarted,
    /// <summary>Creating the session(s).</summary>
    Loading,
    /// <summary>Replaying the warmup file.</summary>
    Warming,
    /// <summary>Warm: serve.</summary>
    Ready,
    /// <summary>Loading or warmup failed (see <see cref="WarmedOnnxModel.Failure"/>), or was cancelled.</summary>
    Failed,
}

/// <summary>
/// A model registered with <c>AddWarmedOnnxModel</c> (<see cref="WarmupServiceCollectionExtensions"/>): its ONNX Runtime
/// session(s), created and warmed when the host starts. Resolve it as a keyed service
/// (<c>[FromKeyedServices("name")] WarmedOnnxModel</c>) or through <see cref="WarmedOnnxModels"/>.
/// </summary>
public sealed partial class WarmedOnnxModel : IDisposable
{
    private readonly WarmedOnnxModelOptions _options;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly WarmupInstruments _instruments;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IReadOnlyDictionary<string, InferenceSession>? _sessions;
    private volatile WarmupReport? _report;
    private volatile Exception? _failure;
    private int _state;
    private int _disposed;

    internal WarmedOnnxModel(string name, WarmedOnnxModelOptions options, IServiceProvider services, ILogger logger, WarmupInstruments instruments)
    {
        Name = name;
        _options = options;
        _services = services;
        _logger = logger;
        _instruments = instruments;
    }

    internal WarmedOnnxModelOptions Options => _options;

    internal IServiceProvider Services => _services;

    internal ILogger Logger => _logger;

    /// <summary>The registered name (the <c>model</c> tag of metrics).</summary>
    public string Name { get; }

    /// <summary>Where the model is in its start-up.</summary>
    public WarmedModelState State => (WarmedModelState)Volatile.Read(ref _state);

    /// <summary>Whether the model is warm.</summary>
    public bool IsReady => State == WarmedModelState.Ready;

    /// <summary>Blocking or background warmup.</summary>
    public WarmupStartupMode StartupMode => _options.StartupMode;

    /// <summary>The execution provider the sessions created from model paths run on, once loaded (null for a <see cref="WarmedOnnxModelOptions.SessionFactory"/>).</summary>
    public ExecutionProvider? Provider { get; private set; }

    /// <summary>The warmup report, once warm.</summary>
    public WarmupReport? Report => _report;

    /// <summary>Why loading or warmup failed.</summary>
    public Exception? Failure => _failure;

    /// <summary>The <c>serving_default</c> session.</summary>
    /// <exception cref="InvalidOperationException">The session is not created yet, or loading failed.</exception>
    public InferenceSession Session => GetSession(TfServing.DefaultSignatureName);

    /// <summary>Every session by signature key.</summary>
    public IReadOnlyDictionary<string, InferenceSession> Sessions => _sessions ?? throw NotLoaded();

    /// <summary>The session serving <paramref name="signature"/> (empty = <c>serving_default</c>).</summary>
    public InferenceSession GetSession(string? signature)
    {
        var sessions = _sessions ?? throw NotLoaded();
        var key = TfServing.ResolveSignatureName(signature);
        return sessions.TryGetValue(key, out var session) ? session
            : throw new KeyNotFoundException($"Model {Name} has no signature \"{key}\" (signatures: {string.Join(", ", sessions.Keys)}).");
    }

    /// <summary>Completes when the model is warm; throws the failure when it failed and is cancelled with the warmup.</summary>
    public Task WhenReadyAsync(CancellationToken cancellationToken = default) => _ready.Task.WaitAsync(cancellationToken);

    internal async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            SetState(WarmedModelState.Loading);
            var warmupFile = _options.ResolveWarmupFilePath();
            var replay = _options.Replay with { ModelName = _options.Replay.ModelName ?? Name, Logger = _options.Replay.Logger ?? _logger, Instruments = _instruments };
            using (var prefetching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                // The replay's model-independent code is compiled beside the session creation (ReplayPrefetch), and
                // stopped once the sessions are ready so it never competes with the replay.
                var prefetch = warmupFile is null ? Task.FromResult(0) : ReplayPrefetch.Start(warmupFile, replay, prefetching.Token);
                try
                {
                    _sessions = await Task.Run(CreateSessions, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await prefetching.CancelAsync().ConfigureAwait(false);
                    await prefetch.ConfigureAwait(false);
                }
            }

            SetState(WarmedModelState.Warming);
            _report = warmupFile is null
                ? null
                : await OnnxWarmup.RunAsync(_sessions, warmupFile, replay, cancellationToken).ConfigureAwait(false);
            if (warmupFile is not null && _options.RequestPathWarmup is not null)
            {
                await Task.Run(() => RequestPathWarmup.RunAsync(this, _sessions, warmupFile, cancellationToken),
                    cancellationToken).ConfigureAwait(false);
            }

            StartServing(_report);
            SetState(WarmedModelState.Ready);
            Log.ModelReady(_logger, Name, _report?.Summary.Records ?? 0, _report?.Summary.ElapsedMs ?? 0);
            _ready.TrySetResult();
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            _failure = ex;
            SetState(WarmedModelState.Failed);
            Log.ModelWarmupCancelled(_logger, Name);
            _ready.TrySetCanceled(cancellationToken);
            throw;
        }
        catch (Exception ex)
        {
            _failure = ex;
            SetState(WarmedModelState.Failed);
            Log.ModelFailed(_logger, Name, ex.Message, ex);
            _ready.TrySetException(ex);
            throw;
        }
    }

    private Dictionary<string, InferenceSession> CreateSessions()
    {
        var sessions = new Dictionary<string, InferenceSession>(StringComparer.Ordinal);
        try
        {
            if (_options.SessionFactory is { } factory)
            {
                // The factory chose the session's providers; Provider stays null unless a model path is added below.
                sessions[TfServing.DefaultSignatureName] = factory(_services);
            }
            else
            {
                sessions[TfServing.DefaultSignatureName] = Create(_options.ModelPath!);
            }

            foreach (var (signature, path) in _options.AdditionalSignatures)
            {
                sessions[signature] = Create(path);
            }

            return sessions;
        }
        catch
        {
            foreach (var session in sessions.Values)
            {
                session.Dispose();
            }

            throw;
        }
    }

    private InferenceSession Create(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model {Name}: the ONNX model {Path.GetFullPath(path)} does not exist. Check ModelPath.", path);
        }

        var (session, provider) = ExecutionProviders.CreateSession(path, _options.ExecutionProvider, _options.Cuda, _logger, _options.ConfigureSessionOptions);
        Provider = provider;
        Log.ModelLoaded(_logger, Name, path, provider, _options.StartupMode);
        return session;
    }

    private void SetState(WarmedModelState state) => Volatile.Write(ref _state, (int)state);

    private InvalidOperationException NotLoaded() => new(
        $"Model {Name} has no session yet (state {State}). Await WhenReadyAsync, or check the readiness health check." +
        (_failure is null ? string.Empty : $" Loading failed: {_failure.Message}"));

    /// <summary>Disposes the sessions.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        DisposeServing();
        foreach (var session in _sessions?.Values ?? [])
        {
            session.Dispose();
        }
    }
}

/// <summary>Every model registered with <c>AddWarmedOnnxModel</c> (<see cref="WarmupServiceCollectionExtensions"/>).</summary>
public sealed class WarmedOnnxModels : IReadOnlyList<WarmedOnnxModel>, IDisposable
{
    private readonly WarmedOnnxModel[] _models;

    internal WarmedOnnxModels(IEnumerable<WarmedOnnxModel> models) => _models = models.ToArray();

    /// <summary>The model registered as <paramref name="name"/>.</summary>
    public WarmedOnnxModel this[string name] => _models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal))
        ?? throw new KeyNotFoundException($"No model is registered as \"{name}\" (registered: {string.Join(", ", _models.Select(m => m.Name))}).");

    /// <inheritdoc />
    public WarmedOnnxModel this[int index] => _models[index];

    /// <inheritdoc />
    public int Count => _models.Length;

    /// <inheritdoc />
    public IEnumerator<WarmedOnnxModel> GetEnumerator() => ((IEnumerable<WarmedOnnxModel>)_models).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every model's sessions.</summary>
    public void Dispose()
    {
        foreach (var model in _models)
        {
            model.Dispose();
        }
    }
}
