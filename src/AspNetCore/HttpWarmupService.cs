using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Warmup.Runtime.Hosting;

namespace Warmup.AspNetCore;

/// <summary>
/// Once the server listens and every model is warm, sends the warmup requests over loopback to the server's own bound
/// address, so that Kestrel's connection and request code, routing, model binding, the endpoints and serialisation
/// have all run before the readiness check (<see cref="HttpWarmupHealthCheck"/>) says Healthy.
/// </summary>
internal sealed partial class HttpWarmupService : IHostedLifecycleService, IDisposable
{
    private readonly IServer _server;
    private readonly WarmedOnnxModels _models;
    private readonly HttpWarmupOptions _options;
    private readonly ILogger<HttpWarmupService> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _pass = Task.CompletedTask;

    public HttpWarmupService(IServer server, IServiceProvider services, IOptions<HttpWarmupOptions> options, ILogger<HttpWarmupService> logger)
    {
        _server = server;
        _models = services.GetService<WarmedOnnxModels>() ?? throw new InvalidOperationException(
            "AddHttpWarmup waits for the models registered with AddWarmedOnnxModel, and none is registered. Register the model first.");
        _options = options.Value;
        _logger = logger;
        _options.Validate();
    }

    /// <summary>Pending, running, done or failed.</summary>
    public HealthCheckResult Status { get; private set; } = HealthCheckResult.Unhealthy("HTTP warmup has not started (the server is not listening yet).");

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // After every hosted service's StartAsync, so the server is listening. With blocking models the pass is awaited
    // here (start-up completes warm); with background models it waits for them without holding start-up.
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _pass = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return _models.All(m => m.StartupMode == WarmupStartupMode.Blocking) ? _pass.WaitAsync(cancellationToken) : Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => _stopping.CancelAsync();

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _pass.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            Status = HealthCheckResult.Unhealthy("HTTP warmup is waiting for the models to be warm.");
            foreach (var model in _models)
            {
                await model.WhenReadyAsync(cancellationToken).ConfigureAwait(false);
            }

            var address = LoopbackAddress();
            var requests = Requests(cancellationToken);
            Status = HealthCheckResult.Unhealthy($"HTTP warmup: sending {requests.Count} request(s) × {_options.Iterations} to {address}.");
            Log.Starting(_logger, requests.Count, _options.Iterations, address);
            var started = Stopwatch.GetTimestamp();
            await SendAllAsync(address, requests, cancellationToken).ConfigureAwait(false);

            if (_options.Settle)
            {
                await SettleAsync(cancellationToken).ConfigureAwait(false);
            }

            var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Status = HealthCheckResult.Healthy($"HTTP warmup: {requests.Count * _options.Iterations} request(s) answered in {elapsedMs:F0} ms.",
                new Dictionary<string, object> { ["httpWarmup.requests"] = requests.Count * _options.Iterations, ["httpWarmup.elapsedMs"] = elapsedMs });
            Log.Finished(_logger, requests.Count * _options.Iterations, elapsedMs);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Status = HealthCheckResult.Unhealthy("HTTP warmup was cancelled: the host is stopping.");
        }
        catch (Exception ex)
        {
            // A model that failed to load is reported by its own check; this one says why the HTTP pass did not run.
            Status = HealthCheckResult.Unhealthy($"HTTP warmup failed: {ex.Message}", ex);
            Log.Failed(_logger, ex.Message, ex);
        }
    }

    // The warmup's own connection is closed before the pass settles: the server's connection teardown (its own code,
    // compiled on first use) then runs before readiness, not beside the first real request.
    private async Task SendAllAsync(Uri address, List<HttpWarmupRequest> requests, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { UseProxy = false };
        using var client = new HttpClient(handler) { BaseAddress = address, Timeout = _options.RequestTimeout };
        for (var iteration = 0; iteration < _options.Iterations; iteration++)
        {
            foreach (var request in requests)
            {
                using var message = request.ToMessage();
                using var response = await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                var ok = request.ExpectedStatus is { } expected ? status == expected : status is >= 200 and < 300;
                if (!ok)
                {
                    throw new InvalidOperationException(
                        $"HTTP warmup request {request} answered {status} {response.ReasonPhrase}, expected {request.ExpectedStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "2xx"}: " +
                        $"{(body.Length > 300 ? body[..300] + "…" : body)} Fix the request (or its ExpectedStatus) or the endpoint.");
                }
            }
        }
    }

    private async Task SettleAsync(CancellationToken cancellationToken)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.MaxSettleTime.TotalSeconds * Stopwatch.Frequency);
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now == compiled)
            {
                return;
            }

            compiled = now;
        }
    }

    private List<HttpWarmupRequest> Requests(CancellationToken cancellationToken)
    {
        var requests = new List<HttpWarmupRequest>();
        foreach (var (model, derive) in _options.Derived)
        {
            foreach (var record in WarmupRequest.ReadAll(_models[model], cancellationToken))
            {
                if (derive(record) is { } request)
                {
                    requests.Add(request);
                }
            }
        }

        requests.AddRange(_options.Requests);
        if (requests.Count == 0)
        {
            throw new InvalidOperationException("AddHttpWarmup has no requests: add some to Requests, or derive them with FromRecords.");
        }

        return requests;
    }

    // The server's own bound http address, with a wildcard host replaced by loopback.
    private Uri LoopbackAddress()
    {
        var addresses = _server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var candidates = addresses
            .Select(a => Uri.TryCreate(a.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal),
                UriKind.Absolute, out var uri) ? uri : null)
            .Where(u => u is not null && u.Scheme == Uri.UriSchemeHttp)
            .ToList();
        if (candidates.FirstOrDefault() is not { } bound)
        {
            throw new InvalidOperationException(
                $"the server has no plain-http TCP address to warm through (addresses: {(addresses.Count == 0 ? "none" : string.Join(", ", addresses))}). " +
                "Add an http:// loopback endpoint (e.g. http://127.0.0.1:5081 beside the https one; TLS is terminated the same way for every request), or do not add HTTP warmup.");
        }

        var host = bound.Host is "0.0.0.0" or "localhost" ? "127.0.0.1" : bound.Host is "[::]" or "::" ? "::1" : bound.Host;
        return new UriBuilder(bound.Scheme, host, bound.Port).Uri;
    }

    public void Dispose() => _stopping.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 51, Level = LogLevel.Information, Message = "HTTP warmup: sending {Requests} request(s) × {Iterations} to {Address} before readiness.")]
        public static partial void Starting(ILogger logger, int requests, int iterations, Uri address);

        [LoggerMessage(EventId = 52, Level = LogLevel.Information, Message = "HTTP warmup: {Requests} request(s) answered in {ElapsedMs:F1} ms; ready.")]
        public static partial void Finished(ILogger logger, int requests, double elapsedMs);

        [LoggerMessage(EventId = 53, Level = LogLevel.Error, Message = "HTTP warmup failed; the host stays not ready: {Problem}")]
        public static partial void Failed(ILogger logger, string problem, Exception exception);
    }
}

/// <summary>Readiness: Unhealthy until the HTTP warmup has been answered (or with why it failed), Healthy after.</summary>
internal sealed class HttpWarmupHealthCheck(HttpWarmupService warmup) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(warmup.Status);
}
