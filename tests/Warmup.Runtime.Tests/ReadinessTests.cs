using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Warmup.Format;
using Warmup.Runtime.Hosting;

namespace Warmup.Runtime.Tests;

/// <summary>Readiness as operators see it: probe logs while warming, and the JSON body.</summary>
public sealed class ReadinessTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Probes_while_warming_log_no_error_and_the_JSON_body_has_each_models_state()
    {
        var path = Sessions.SlowConv().Save(Path.Combine(_dir.Path, "conv", "1", "model.onnx"));
        Records.Write(TfServing.GetWarmupFilePath(_dir.Path, "conv", 1),
            Enumerable.Range(0, 4).Select(_ => Records.Predict(("x", Records.Floats(1, 3, 320, 320)))).ToArray());
        var logger = new CapturingLogger();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logger);
        builder.Services.AddHealthChecks().AddWarmupHealthCheck();
        builder.Services.AddWarmedOnnxModel("conv", o =>
        {
            o.ModelPath = path;
            o.StartupMode = WarmupStartupMode.Background;
            o.ExecutionProvider = ExecutionProvider.Cpu;
            o.Replay = new WarmupReplayOptions { Iterations = 200 }; // longer than the probes take; stopped below
        });
        using var host = builder.Build();
        await host.StartAsync();
        var model = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("conv");
        var health = host.Services.GetRequiredService<HealthCheckService>();
        while (model.State is WarmedModelState.NotStarted or WarmedModelState.Loading)
        {
            Thread.Sleep(10);
        }

        HealthReport report = null!;
        for (var i = 0; i < 6; i++)
        {
            report = await health.CheckHealthAsync();
        }

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        var probeLines = logger.Entries.Where(e => e.Message.StartsWith("Health check warmup with status Unhealthy", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(probeLines, e => e.Level >= LogLevel.Warning);
        // The state change is said once (Information); the five repeats go to Debug, below this host's level.
        Assert.Equal(LogLevel.Information, Assert.Single(probeLines).Level);

        var warming = await Json(report);
        Assert.Equal("Unhealthy", warming.GetProperty("status").GetString());
        var conv = warming.GetProperty("checks").GetProperty("warmup").GetProperty("models").GetProperty("conv");
        Assert.Equal("Warming", conv.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, conv.GetProperty("records").ValueKind);

        // Stopping cancels the warmup: the model failed, and the body says why.
        await host.StopAsync();
        var failed = await Json(await health.CheckHealthAsync());
        var failedConv = failed.GetProperty("checks").GetProperty("warmup").GetProperty("models").GetProperty("conv");
        Assert.Equal("Failed", failedConv.GetProperty("state").GetString());
        Assert.False(string.IsNullOrEmpty(failedConv.GetProperty("failure").GetString()));
        // A failed model is a real problem: it is logged at Error as the framework does.
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Message.StartsWith("Health check warmup with status Unhealthy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_JSON_body_of_a_warm_model_has_its_records_and_time()
    {
        var path = TestModelsPath("hp");
        Records.Write(TfServing.GetWarmupFilePath(_dir.Path, "hp", 1), Records.Predict(("x", Records.Floats(1, 1))), Records.Predict(("x", Records.Floats(4, 1))));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddHealthChecks().AddWarmupHealthCheck();
        builder.Services.AddWarmedOnnxModel("hp", o =>
        {
            o.ModelPath = path;
            o.ExecutionProvider = ExecutionProvider.Cpu;
        });
        using var host = builder.Build();
        await host.StartAsync();

        var json = await Json(await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync());

        Assert.Equal("Healthy", json.GetProperty("status").GetString());
        var hp = json.GetProperty("checks").GetProperty("warmup").GetProperty("models").GetProperty("hp");
        Assert.Equal("Ready", hp.GetProperty("state").GetString());
        Assert.Equal(2, hp.GetProperty("records").GetInt32());
        Assert.Equal(0, hp.GetProperty("failedRecords").GetInt32());
        Assert.True(hp.GetProperty("elapsedMs").GetDouble() >= 0);
        Assert.Equal(JsonValueKind.Null, hp.GetProperty("failure").ValueKind);
        await host.StopAsync();
    }

    private string TestModelsPath(string name) => Warmup.Testing.TestModels.HalfPlusTwo().Save(Path.Combine(_dir.Path, name, "1", "model.onnx"));

    private static async Task<JsonElement> Json(HealthReport report)
    {
        using var stream = new MemoryStream();
        await WarmupHealthReportJson.WriteAsync(stream, report);
        return JsonDocument.Parse(stream.ToArray()).RootElement.Clone();
    }
}
