using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Warmup.AspNetCore;

/// <summary>Registers the HTTP warmup of an ASP.NET Core host.</summary>
public static class HttpWarmupServiceCollectionExtensions
{
    /// <summary>
    /// After the server listens and every model registered with <c>AddWarmedOnnxModel</c> is warm, sends the configured
    /// requests (<see cref="HttpWarmupOptions.Iterations"/> times each) over loopback to the server's bound address, and
    /// adds a readiness check (name <paramref name="healthCheckName"/>, tag <c>ready</c>) that is Unhealthy until they
    /// have all been answered as expected. A failed request keeps the host not ready and says why.
    /// </summary>
    public static IServiceCollection AddHttpWarmup(this IServiceCollection services, Action<HttpWarmupOptions> configure,
        string healthCheckName = "warmup-http")
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentException.ThrowIfNullOrEmpty(healthCheckName);
        services.Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(HttpWarmupService)))
        {
            return services;   // a second call adds requests to the same pass
        }

        services.AddSingleton<HttpWarmupService>();
        services.AddHostedService(sp => sp.GetRequiredService<HttpWarmupService>());
        services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckName,
            sp => new HttpWarmupHealthCheck(sp.GetRequiredService<HttpWarmupService>()), HealthStatus.Unhealthy, ["ready"]));
        return services;
    }
}
