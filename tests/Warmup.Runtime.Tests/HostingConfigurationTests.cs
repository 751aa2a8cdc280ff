using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Warmup.Runtime.Hosting;
using Warmup.Testing;

namespace Warmup.Runtime.Tests;

/// <summary>
/// The hosting API's Microsoft.Extensions conventions on a real host: named options per model, configuration binding,
/// validation at start, and the host's IMeterFactory.
/// </summary>
public sealed class HostingConfigurationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static HostApplicationBuilder Builder(string? json = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddMetrics();
        if (json is not null)
        {
            builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        }

        return builder;
    }

    private string HalfPlusTwo(string name) =>
        Sessions.SaveInLayout(_dir.Path, name, TestModels.HalfPlusTwo(), Records.Predict(("x", Records.Floats(2, 1))), Records.Predict(("x", Records.Floats(3, 1))));

    [Fact]
    public async Task A_model_is_configured_from_a_json_configuration_section()
    {
        var path = HalfPlusTwo("half");
        var builder = Builder("""
            {"Warmup": {"Models": {"half": {
              "ModelPath": MODEL_PATH,
              "ExecutionProvider": "cpu",
              "StartupMode": "Blocking",
              "Replay": {"Iterations": 3, "ModelName": "half-from-config", "TensorLimits": {"MaxRecordBytes": 1048576}},
              "Coverage": {"MaxDistinctShapes": 7}
            }}}}
            """.Replace("MODEL_PATH", System.Text.Json.JsonSerializer.Serialize(path), StringComparison.Ordinal));
        var sessionOptionsApplied = false;
        builder.Services.AddWarmedOnnxModel("half", builder.Configuration.GetSection("Warmup:Models:half"),
            o => o.ConfigureSessionOptions = _ => sessionOptionsApplied = true);

        using var host = builder.Build();
        await host.StartAsync();

        var model = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("half");
        Assert.Equal(WarmedModelState.Ready, model.State);
        Assert.Equal(ExecutionProvider.Cpu, model.Provider);
        Assert.Equal(3, model.Report!.Iterations);
        Assert.Equal("half-from-config", model.Report.Model);
        Assert.Equal(2, model.Report.Summary.Replayed);
        Assert.True(sessionOptionsApplied, "the code delegate runs after the binding");
        var options = host.Services.GetRequiredService<IOptionsMonitor<WarmedOnnxModelOptions>>().Get("half");
        Assert.Equal(1048576, options.Replay.TensorLimits.MaxRecordBytes);
        Assert.Equal(Warmup.Format.Tensors.TensorLimits.DefaultMaxRecordBytes, Warmup.Format.Tensors.TensorLimits.Default.MaxRecordBytes); // binding fills the model's own limits
        Assert.Equal(7, options.Coverage.MaxDistinctShapes);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_bad_option_fails_the_start_with_one_message_naming_the_model_and_the_option()
    {
        var path = HalfPlusTwo("half");
        var builder = Builder("""
            {"Warmup": {"Models": {"half": {"Replay": {"Threads": 0, "MaxRecords": -1}}}}}
            """);
        builder.Services.AddWarmedOnnxModel("half", builder.Configuration.GetSection("Warmup:Models:half"));
        builder.Services.AddWarmedOnnxModel("good", o => o.ModelPath = path);
        var started = false;
        builder.Services.AddHostedService(_ => new Probe(() => started = true));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("half", error.OptionsName);
        Assert.Equal(
            ["Model half: set ModelPath or SessionFactory.", "Model half: Replay.Threads is 0; it must be at least 1.",
                "Model half: Replay.MaxRecords is -1; it must be null or non-negative."],
            error.Failures);
        // Validation runs before any hosted service starts, and the models cannot be built from bad options.
        Assert.False(started);
        Assert.Equal(error.Failures, Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<WarmedOnnxModels>()).Failures);
    }

    [Fact]
    public async Task Two_named_models_keep_their_own_options()
    {
        var first = HalfPlusTwo("first");
        var second = HalfPlusTwo("second");
        var builder = Builder();
        builder.Services.AddWarmedOnnxModel("first", o =>
        {
            o.ModelPath = first;
            o.ExecutionProvider = ExecutionProvider.Cpu;
            o.Replay = new WarmupReplayOptions { Iterations = 1 };
        });
        builder.Services.AddWarmedOnnxModel("second", o =>
        {
            o.ModelPath = second;
            o.ExecutionProvider = ExecutionProvider.Cpu;
            o.StartupMode = WarmupStartupMode.Background;
        });
        // Named options compose: a later Configure for one name reaches that model only.
        builder.Services.Configure<WarmedOnnxModelOptions>("second", o => o.Replay = o.Replay with { Iterations = 4 });

        using var host = builder.Build();
        await host.StartAsync();
        var models = host.Services.GetRequiredService<WarmedOnnxModels>();
        await models["second"].WhenReadyAsync();

        Assert.Equal(1, models["first"].Report!.Iterations);
        Assert.Equal(4, models["second"].Report!.Iterations);
        Assert.Equal(WarmupStartupMode.Blocking, models["first"].StartupMode);
        Assert.Equal(WarmupStartupMode.Background, models["second"].StartupMode);
        Assert.Equal("first", models["first"].Report!.Model);
        await host.StopAsync();
    }

    [Fact]
    public async Task Metrics_go_to_the_hosts_meter_factory_with_the_same_names()
    {
        var path = HalfPlusTwo("half");
        var builder = Builder();
        builder.Services.AddWarmedOnnxModel("half", o =>
        {
            o.ModelPath = path;
            o.ExecutionProvider = ExecutionProvider.Cpu;
        });
        using var host = builder.Build();
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var seen = new List<(string Instrument, object? Scope, string? Model)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WarmupTelemetry.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Record(instrument, tags));
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) => Record(instrument, tags));
        listener.Start();

        await host.StartAsync();
        await host.StopAsync();

        lock (seen)
        {
            var latency = Assert.Single(seen, m => m.Instrument == WarmupTelemetry.LatencyInstrument && m.Model == "half");
            Assert.Same(factory, latency.Scope);
            Assert.Equal(2, seen.Count(m => m.Instrument == WarmupTelemetry.RecordsReadInstrument && m.Model == "half"));
            Assert.All(seen.Where(m => m.Model == "half"), m => Assert.Same(factory, m.Scope));
        }

        void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? model = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "model")
                {
                    model = tag.Value as string;
                }
            }

            lock (seen)
            {
                seen.Add((instrument.Name, instrument.Meter.Scope, model));
            }
        }
    }

    private sealed class Probe(Action onStart) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            onStart();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
