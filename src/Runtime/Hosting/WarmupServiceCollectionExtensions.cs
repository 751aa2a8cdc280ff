using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Warmup.Runtime.Hosting;

/// <summary>Registers warmed ONNX models and their readiness health check.</summary>
public static class WarmupServiceCollectionExtensions
{
    /// <summary>
    /// Registers a model whose session is created and warmed with its warmup file when the host starts. Resolve it as
    /// <c>[FromKeyedServices(name)] WarmedOnnxModel</c> or via <see cref="WarmedOnnxModels"/>.
    /// </summary>
    /// <remarks>
    /// The model's options are the named options <paramref name="name"/> (<c>IOptionsMonitor&lt;WarmedOnnxModelOptions&gt;.Get(name)</c>),
    /// so <c>services.Configure&lt;WarmedOnnxModelOptions&gt;(name, …)</c> adds to them. They are validated when the host
    /// starts (<c>ValidateOnStart</c>): a bad option fails start-up with one message per problem naming the model and the option.
    /// </remarks>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public static IServiceCollection AddWarmedOnnxModel(this IServiceCollection services, string name, Action<WarmedOnnxModelOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddModel(services, name).Configure(configure);
        return services;
    }

    /// <summary>
    /// Registers a model (see the other overload) whose options are bound from <paramref name="configuration"/>, e.g.
    /// <c>builder.Configuration.GetSection("Warmup:Models:half_plus_two")</c> holding <c>ModelPath</c>, <c>StartupMode</c>,
    /// <c>Replay:Iterations</c>…; <paramref name="configure"/>, when given, runs after the binding (for what configuration
    /// cannot hold, such as <see cref="WarmedOnnxModelOptions.SessionFactory"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    [RequiresUnreferencedCode("Binding configuration to WarmedOnnxModelOptions uses reflection (Microsoft.Extensions.Configuration.Binder).")]
    [RequiresDynamicCode("Binding configuration to WarmedOnnxModelOptions may create types at run time (Microsoft.Extensions.Configuration.Binder).")]
    public static IServiceCollection AddWarmedOnnxModel(this IServiceCollection services, string name, IConfiguration configuration,
        Action<WarmedOnnxModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = AddModel(services, name).Bind(configuration);
        if (configure is not null)
        {
            options.Configure(configure);
        }

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

    private static OptionsBuilder<WarmedOnnxModelOptions> AddModel(IServiceCollection services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (services.Any(d => d.ServiceType == typeof(Registration) && d.ImplementationInstance is Registration r && r.Name == name))
        {
            throw new ArgumentException($"A model named \"{name}\" is already registered.", nameof(name));
        }

        services.AddSingleton(new Registration(name));
        services.AddSingleton<IValidateOptions<WarmedOnnxModelOptions>>(new Validator(name));
        services.TryAddSingleton(sp =>
        {
            var loggers = sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            var options = sp.GetRequiredService<IOptionsMonitor<WarmedOnnxModelOptions>>();
            // The host's meter factory when it has one (every Microsoft.Extensions.Hosting host does): its metrics pipeline owns the meter.
            var instruments = WarmupInstruments.For(sp.GetService<IMeterFactory>());
            return new WarmedOnnxModels(sp.GetServices<Registration>().Select(r =>
                new WarmedOnnxModel(r.Name, options.Get(r.Name), sp, loggers.CreateLogger("Warmup.Runtime.WarmedOnnxModel"), instruments)));
        });
        services.AddKeyedSingleton(name, (sp, _) => sp.GetRequiredService<WarmedOnnxModels>()[name]);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WarmupHostedService>());
        return services.AddOptions<WarmedOnnxModelOptions>(name).ValidateOnStart();
    }

    private sealed record Registration(string Name);

    /// <summary>Validates the named options of one model: every problem, each naming the model and the option.</summary>
    private sealed class Validator(string model) : IValidateOptions<WarmedOnnxModelOptions>
    {
        public ValidateOptionsResult Validate(string? name, WarmedOnnxModelOptions options)
        {
            if (!string.Equals(name, model, StringComparison.Ordinal))
            {
                return ValidateOptionsResult.Skip;
            }

            var problems = options.Problems(model).ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
