using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Warmup.Format;
using Warmup.Runtime.Hosting;
using Warmup.Testing;

namespace Warmup.Runtime.Tests;

/// <summary><see cref="WarmedOnnxModelOptions.RequestPathWarmup"/>: every record through the application's own inference code before readiness.</summary>
public sealed class RequestPathWarmupTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string SaveHalfPlusTwo(params long[] batchSizes)
    {
        var path = TestModels.HalfPlusTwo().Save(Path.Combine(_dir.Path, "half_plus_two", "1", "model.onnx"));
        Records.Write(TfServing.GetWarmupFilePath(_dir.Path, "half_plus_two", 1), batchSizes.Select(b => Records.Predict(("x", Records.Floats(b, 1)))).ToArray());
        return path;
    }

    // A host serving half_plus_two on the CPU, configured further by the test.
    private static IHost BuildHost(string path, Action<WarmedOnnxModelOptions>? configure = null, CapturingLogger? logger = null) =>
        HostingTests.BuildHost(services => services.AddWarmedOnnxModel("half_plus_two", o =>
        {
            o.ModelPath = path;
            o.ExecutionProvider = ExecutionProvider.Cpu;
            configure?.Invoke(o);
        }), logger);

    // What an endpoint would run: pre-processing, the session, post-processing.
    private static float[] Infer(WarmedOnnxModel model, float[] values)
    {
        var x = new DenseTensor<float>(values, [values.Length, 1]);
        using var results = model.Session.Run([NamedOnnxValue.CreateFromTensor("x", x)]);
        return results[0].AsEnumerable<float>().ToArray();
    }

    [Fact]
    public async Task Every_record_runs_through_the_delegate_with_its_decoded_inputs_before_the_model_is_ready()
    {
        var path = SaveHalfPlusTwo(1, 8, 32);
        var calls = new ConcurrentQueue<(long Record, long[] Shape, WarmedModelState State, HealthStatus Health, float First)>();
        using var host = BuildHost(path, o =>
        {
            o.RequestPathWarmup = async (request, ct) =>
            {
                var x = request.Input("x");
                var y = Infer(request.Model, x.GetValues<float>());
                var health = await new WarmupHealthCheck(request.Services.GetRequiredService<WarmedOnnxModels>()).CheckHealthAsync(new HealthCheckContext(), ct);
                calls.Enqueue((request.RecordIndex, x.GetShape(), request.Model.State, health.Status, y[0]));
            };
        });

        await host.StartAsync();
        var model = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("half_plus_two");
        Assert.True(model.IsReady);

        // Each of the three records once, in file order, with the record's own shape and values.
        Assert.Equal([0L, 1, 2], calls.Select(c => c.Record).ToArray());
        Assert.Equal([1L, 8, 32], calls.Select(c => c.Shape[0]).ToArray());
        Assert.All(calls, c => Assert.Equal(1, c.Shape[1]));
        Assert.All(calls, c => Assert.Equal(0.5f * 0f + 2f, c.First));   // Records.Floats starts at 0

        // Not ready while the application's code ran: readiness flips only after this pass.
        Assert.All(calls, c => Assert.Equal(WarmedModelState.Warming, c.State));
        Assert.All(calls, c => Assert.Equal(HealthStatus.Unhealthy, c.Health));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_throwing_delegate_fails_startup_with_the_record_located()
    {
        var path = SaveHalfPlusTwo(1, 4);
        using var host = BuildHost(path, o => o.RequestPathWarmup = (request, _) => request.RecordIndex == 1
            ? throw new FormatException("the tokenizer cannot read this")
            : ValueTask.CompletedTask);

        var error = await Assert.ThrowsAsync<WarmupReplayException>(() => host.StartAsync());
        Assert.Equal(1, error.RecordIndex);
        Assert.Equal(WarmupFailureKind.RunFailed, error.Kind);
        Assert.Contains("record 1 at byte", error.Message, StringComparison.Ordinal);
        Assert.Contains("RequestPathWarmup", error.Message, StringComparison.Ordinal);
        Assert.Contains("FormatException: the tokenizer cannot read this", error.Message, StringComparison.Ordinal);
        Assert.Equal(WarmedModelState.Failed, host.Services.GetRequiredKeyedService<WarmedOnnxModel>("half_plus_two").State);
    }

    [Fact]
    public async Task Under_LogAndContinue_a_throwing_delegate_is_logged_and_the_model_gets_ready()
    {
        var path = SaveHalfPlusTwo(1, 4);
        var logger = new CapturingLogger();
        using var host = BuildHost(path, o =>
        {
            o.Replay = new WarmupReplayOptions { FailurePolicy = WarmupFailurePolicy.LogAndContinue };
            o.RequestPathWarmup = (request, _) => request.RecordIndex == 0 ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask;
        }, logger);

        await host.StartAsync();
        Assert.True(host.Services.GetRequiredKeyedService<WarmedOnnxModel>("half_plus_two").IsReady);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("record 0 at byte 0", StringComparison.Ordinal)
            && e.Message.Contains("boom", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.Id.Id == 41 && e.Message.Contains("1 call(s)", StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Fact]
    public async Task ReadAll_gives_the_records_as_decoded_requests()
    {
        var path = SaveHalfPlusTwo(2, 3);
        using var host = BuildHost(path);

        await host.StartAsync();
        var requests = WarmupRequest.ReadAll(host.Services.GetRequiredKeyedService<WarmedOnnxModel>("half_plus_two"));
        Assert.Equal([2L, 3], requests.Select(r => r.Input("x").Shape[0]).ToArray());
        Assert.Equal([0f, 0.25f, 0.5f], requests[1].Input("x").GetValues<float>());
        Assert.All(requests, r => Assert.Equal(TfServing.DefaultSignatureName, r.Signature));
        var missing = Assert.Throws<KeyNotFoundException>(() => requests[0].Input("y"));
        Assert.Contains("has no input \"y\" (inputs: x)", missing.Message, StringComparison.Ordinal);
        await host.StopAsync();
    }
}
