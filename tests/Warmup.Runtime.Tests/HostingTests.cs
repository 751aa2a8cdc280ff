using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Tensors;
using Warmup.Runtime.Hosting;
using Warmup.Testing;

namespace Warmup.Runtime.Tests;

[Collection(TimingCollection.Name)]
public sealed class HostingTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Saves a model as models/name/1/model.onnx with its warmup file in TF Serving's layout.</summary>
    private string SaveModel(string name, OnnxModelBuilder model, params PredictionLog[] warmup) =>
        Sessions.SaveInLayout(_dir.Path, name, model, warmup);

    private static PredictionLog[] SlowRecords(int count) =>
        Enumerable.Range(0, count).Select(i => Records.Predict(("x", Records.Floats(1, 3, 320 + (i % 4), 320)))).ToArray();

    internal static IHost BuildHost(Action<IServiceCollection> configure, CapturingLogger? logger = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (logger is not null)
        {
            builder.Logging.AddProvider(logger);
        }

        builder.Services.AddHealthChecks().AddWarmupHealthCheck();
        configure(builder.Services);
        return builder.Build();
    }

    private static Task<HealthReport> Health(IHost host) => host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

    [Fact]
    public async Task Blocking_startup_waits_until_the_model_is_warm()
    {
        var path = SaveModel("conv", Sessions.SlowConv(), SlowRecords(3));
        var probe = new StateProbe("conv");
        using var host = BuildHost(services =>
        {
            services.AddWarmedOnnxModel("conv", o =>
            {
                o.ModelPath = path;
                o.ExecutionProvider = ExecutionProvider.Cpu;
            });
            services.AddHostedService(sp => probe.Attach(sp)); // registered after: starts after the model is warm
        });

        var stopwatch = Stopwatch.StartNew();
        await host.StartAsync();
        var startup = stopwatch.Elapsed;

        var model = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("conv");
        Assert.Equal(WarmedModelState.Ready, model.State);
        Assert.Equal(WarmedModelState.Ready, probe.StateAtStart);
        Assert.Equal(3, model.Report!.Summary.Replayed);
        Assert.True(startup.TotalMilliseconds >= model.Report.Summary.ElapsedMs, "StartAsync returned before the warmup ended");
        Assert.Equal(ExecutionProvider.Cpu, model.Provider);
        Assert.Equal(HealthStatus.Healthy, (await Health(host)).Status);
        Assert.Same(model, host.Services.GetRequiredService<WarmedOnnxModels>()["conv"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task Background_warmup_keeps_readiness_unhealthy_until_warm()
    {
        var path = SaveModel("conv", Sessions.SlowConv(), SlowRecords(40));
        using var host = BuildHost(services => services.AddWarmedOnnxModel("conv", o =>
        {
            o.ModelPath = path;
            o.StartupMode = WarmupStartupMode.Background;
            o.ExecutionProvider = ExecutionProvider.Cpu;
        }));

        await host.StartAsync();
        var model = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("conv");
        Assert.NotEqual(WarmedModelState.Ready, model.State);
        // The check itself, without the health-check service's thread-pool hops, so a busy machine cannot let the warmup win the race.
        var check = new WarmupHealthCheck(host.Services.GetRequiredService<WarmedOnnxModels>());
        var before = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.StartsWith("Warming up: conv (", before.Description, StringComparison.Ordinal);

        await model.WhenReadyAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(model.IsReady);
        Assert.Equal(HealthStatus.Healthy, (await Health(host)).Status);
        Assert.Equal(40, model.Report!.Summary.Replayed);
        await host.StopAsync();
    }

    [Fact]
    public async Task Shutdown_cancels_a_background_warmup_within_a_second()
    {
        var path = SaveModel("conv", Sessions.SlowConv(), SlowRecords(20));
        using var host = BuildHost(services => services.AddWarmedOnnxModel("conv", o =>
        {
            o.ModelPath = path;
            o.StartupMode = WarmupStartupMode.Background;
            o.ExecutionProvider = ExecutionProvider.Cpu;
            o.Replay = new WarmupReplayOptions { Iterations = 50 }; // far longer than the test waits
        }));
        await host.StartAsync();
        var model = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("conv");
        // Blocking waits, for the same reason as in ReplayTests' cancellation test.
        while (model.State != WarmedModelState.Warming)
        {
            Thread.Sleep(10);
        }

        Thread.Sleep(200);
        Assert.Equal(WarmedModelState.Warming, model.State);
        var stopwatch = Stopwatch.StartNew();
        await host.StopAsync();
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"stopping took {stopwatch.Elapsed}");
        Assert.Equal(WarmedModelState.Failed, model.State);
        Assert.IsAssignableFrom<OperationCanceledException>(model.Failure);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => model.WhenReadyAsync());
    }

    [Fact]
    public async Task A_background_failure_is_reported_by_the_health_check()
    {
        var bad = Records.Predict(("x", TensorProtoConverter.FromArray(new int[4], 1, 4)));
        var path = SaveModel("mm", TestModels.MatMulAdd(), bad);
        using var host = BuildHost(services => services.AddWarmedOnnxModel("mm", o =>
        {
            o.ModelPath = path;
            o.StartupMode = WarmupStartupMode.Background;
        }));
        await host.StartAsync();
        var model = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("mm");

        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() => model.WhenReadyAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(WarmupFailureKind.DTypeMismatch, ex.Kind);
        var health = await Health(host);
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains("Model mm failed to load or warm up", health.Entries["warmup"].Description, StringComparison.Ordinal);
        Assert.Contains("record 0 at byte 0", health.Entries["warmup"].Description, StringComparison.Ordinal);
        Assert.Same(ex, health.Entries["warmup"].Exception);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_blocking_failure_fails_startup()
    {
        var bad = Records.Predict(("images", Records.Floats(1, 4)));
        var path = SaveModel("mm", TestModels.MatMulAdd(), bad);
        using var host = BuildHost(services => services.AddWarmedOnnxModel("mm", o => o.ModelPath = path));
        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() => host.StartAsync());
        Assert.Equal(WarmupFailureKind.UnknownInput, ex.Kind);
        Assert.Equal(WarmedModelState.Failed, host.Services.GetRequiredKeyedService<WarmedOnnxModel>("mm").State);
    }

    [Fact]
    public async Task LogAndContinue_failures_make_readiness_degraded()
    {
        var bad = Records.Predict(("x", TensorProtoConverter.FromArray(new int[4], 1, 4)));
        var path = SaveModel("mm", TestModels.MatMulAdd(), Records.Predict(("x", Records.Floats(1, 4))), bad);
        using var host = BuildHost(services => services.AddWarmedOnnxModel("mm", o =>
        {
            o.ModelPath = path;
            o.Replay = new WarmupReplayOptions { FailurePolicy = WarmupFailurePolicy.LogAndContinue };
        }));
        await host.StartAsync();
        var health = await Health(host);
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("mm (1 failed record(s))", health.Entries["warmup"].Description, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_missing_warmup_file_is_logged_and_the_model_is_ready()
    {
        var path = SaveModel("mm", TestModels.MatMulAdd());
        var logger = new CapturingLogger();
        using var host = BuildHost(services => services.AddWarmedOnnxModel("mm", o => o.ModelPath = path), logger);
        await host.StartAsync();
        var model = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("mm");
        Assert.True(model.IsReady);
        Assert.False(model.Report!.FileFound);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.StartsWith("No warmup data file found at", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Error);
        await host.StopAsync();
    }

    [Fact]
    public async Task Several_signatures_and_several_models_are_warmed_with_their_own_sessions()
    {
        var sumPath = TestModels.TwoInputs().Save(_dir.File("sum.onnx"));
        var path = SaveModel("mm", TestModels.MatMulAdd(),
            Records.Predict(("x", Records.Floats(1, 4))),
            Records.Predict("sum", ("a", Records.Floats(2, 3)), ("b", Records.Floats(2, 3))));
        var half = SaveModel("half", TestModels.HalfPlusTwo(), Records.Predict(("x:0", Records.Floats(3, 1))));
        using var host = BuildHost(services =>
        {
            services.AddWarmedOnnxModel("mm", o =>
            {
                o.ModelPath = path;
                o.AdditionalSignatures["sum"] = sumPath;
            });
            services.AddWarmedOnnxModel("half", o => o.ModelPath = half);
        });
        await host.StartAsync();

        var mm = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("mm");
        Assert.Equal(["serving_default", "sum"], mm.Report!.Records.SelectMany(r => r.Signatures));
        Assert.Equal(["a", "b"], mm.GetSession("sum").InputNames);
        Assert.Equal(["x"], mm.Session.InputNames);
        Assert.Equal(1, host.Services.GetRequiredKeyedService<WarmedOnnxModel>("half").Report!.Summary.Replayed);
        Assert.Equal(2, host.Services.GetRequiredService<WarmedOnnxModels>().Count);
        await host.StopAsync();
    }

    [Fact]
    public void A_name_taken_twice_is_refused_at_registration()
    {
        var services = new ServiceCollection();
        services.AddWarmedOnnxModel("m", o => o.ModelPath = "model.onnx");
        var twice = Assert.Throws<ArgumentException>(() => services.AddWarmedOnnxModel("m", o => o.ModelPath = "other.onnx"));
        Assert.StartsWith("A model named \"m\" is already registered.", twice.Message, StringComparison.Ordinal);
    }

    private sealed class StateProbe(string model) : IHostedService
    {
        private IServiceProvider? _services;

        public WarmedModelState? StateAtStart { get; private set; }

        public StateProbe Attach(IServiceProvider services)
        {
            _services = services;
            return this;
        }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            StateAtStart = _services!.GetRequiredKeyedService<WarmedOnnxModel>(model).State;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
