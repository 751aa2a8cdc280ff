using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Warmup.Runtime.Hosting;

/// <summary>Registers warmed ONNX models and their readiness health check.</summary>
public static class WarmupServiceCollectionExtensions
{
    /// <summary>
    /// Registers a model whose session is created and warmed with its warmup file when the host starts. Resolve it as
    /// <c>[FromKeyedServices(name)] WarmedOnnxModel</c> or via <see cref="WarmedOnnxModels"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is taken, or neither a model path nor a session factory is set.</exception>
    public static IServiceCollection AddWarmedOnnxModel(this IServiceCollection services, string name, Action<WarmedOnnxModelOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new WarmedOnnxModelOptions();
        configure(options);
        options.Coverage.Validate(name, nameof(configure));
        options.Recording.Validate(name, nameof(configure));
        if (options.ModelPath is null && options.SessionFactory is null)
        {
            throw new ArgumentException($"Model {name}: set ModelPath or SessionFactory.", nameof(configure));
        }

        if (services.Any(d => d.ServiceType == typeof(Registration) && d.ImplementationInstance is Registration r && r.Name == name))
        {
            throw new ArgumentException($"A model named \"{name}\" is already registered.", nameof(name));
        }

        services.AddSingleton(new Registration(name, options));
        services.TryAddSingleton(sp =>
        {
            var loggers = sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            return new WarmedOnnxModels(sp.GetServices<Registration>().Select(r =>
                new WarmedOnnxModel(r.Name, r.Options, sp, loggers.CreateLogger("Warmup.Runtime.WarmedOnnxModel"))));
        });
        services.AddKeyedSingleton(name, (sp, _) => sp.GetRequiredService<WarmedOnnxModels>()[name]);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WarmupHostedService>());
        return services;
    }

    /// <summary>
    /// Adds a readiness check: Unhealthy until the model (or every model when <paramref name="model"/> is null) is warm,
    /// Unhealthy with the failure when loading or warmup failed. Tagged <c>ready</c> unless <paramref name="tags"/> says otherwise.
    /// </summary>
    public static IHealthChecksBuilder AddWarmupHealthCheck(this IHealthChecksBuilder builder, string name = "warmup", string? model = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        WarmupProbeLogging.Register(builder.Services, name);
        return builder.Add(new HealthCheckRegistration(name,
            sp => new WarmupHealthCheck(sp.GetRequiredService<WarmedOnnxModels>(), model), HealthStatus.Unhealthy, tags ?? ["ready"]));
    }

    private sealed record Registration(string Name, WarmedOnnxModelOptions Options);
}
