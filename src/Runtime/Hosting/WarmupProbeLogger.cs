using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Warmup.Runtime.Hosting;

/// <summary>
/// While a model warms, readiness probes are Unhealthy by design, and the health-check service logs every Unhealthy
/// result at Error: one <c>fail:</c> line per probe. Registered by <see cref="WarmupServiceCollectionExtensions.AddWarmupHealthCheck"/>
/// as that service's logger, this logs a Warmup check's "warming up" result once per change (at Information) and its
/// repeats at Debug. Everything else passes through unchanged: other checks, and a model that failed (still Error).
/// </summary>
internal sealed class WarmupProbeLogger<T> : ILogger<T>
{
    private readonly ILogger _inner;
    private readonly HashSet<string> _checks;
    private readonly ConcurrentDictionary<string, string> _last = new(StringComparer.Ordinal);

    public WarmupProbeLogger(ILoggerFactory factory, IEnumerable<WarmupProbeCheck> checks)
    {
        _inner = new Logger<T>(factory);
        _checks = new HashSet<string>(checks.Select(c => c.Name), StringComparer.Ordinal);
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (state is IReadOnlyList<KeyValuePair<string, object?>> values
            && Value(values, "HealthCheckName") is string check && _checks.Contains(check)
            && Value(values, "HealthCheckDescription") is string description)
        {
            if (logLevel >= LogLevel.Warning && description.StartsWith(WarmupHealthCheck.WarmingUpPrefix, StringComparison.Ordinal))
            {
                var repeated = _last.TryGetValue(check, out var previous) && previous == description;
                _last[check] = description;
                logLevel = repeated ? LogLevel.Debug : LogLevel.Information;
            }
            else
            {
                _last.TryRemove(check, out _);
            }
        }

        _inner.Log(logLevel, eventId, state, exception, formatter);
    }

    private static object? Value(IReadOnlyList<KeyValuePair<string, object?>> values, string key)
    {
        foreach (var pair in values)
        {
            if (pair.Key == key)
            {
                return pair.Value;
            }
        }

        return null;
    }
}

/// <summary>The name of a Warmup readiness check, for <see cref="WarmupProbeLogger{T}"/>.</summary>
internal sealed record WarmupProbeCheck(string Name);

/// <summary>Puts <see cref="WarmupProbeLogger{T}"/> in front of the health-check service's logger.</summary>
internal static class WarmupProbeLogging
{
    // Internal to Microsoft.Extensions.Diagnostics.HealthChecks; should it ever move, probes log as the framework does.
    private static readonly Type? HealthCheckService = Type.GetType(
        "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService, Microsoft.Extensions.Diagnostics.HealthChecks");

    public static void Register(Microsoft.Extensions.DependencyInjection.IServiceCollection services, string checkName)
    {
        services.Add(Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton(new WarmupProbeCheck(checkName)));
        if (HealthCheckService is not null)
        {
            Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAdd(services,
                Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton(
                    typeof(ILogger<>).MakeGenericType(HealthCheckService), typeof(WarmupProbeLogger<>).MakeGenericType(HealthCheckService)));
        }
    }
}
