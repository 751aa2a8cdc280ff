using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Warmup.Testing;

namespace Warmup.Runtime.Tests;

/// <summary>This machine has no GPU and the tests reference Microsoft.ML.OnnxRuntime.Gpu: CUDA's provider library fails to load.</summary>
public sealed class ProviderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Auto_falls_back_to_cpu_with_one_warning_when_cuda_cannot_load()
    {
        var logger = new CapturingLogger();
        var selection = ExecutionProviders.CreateSessionOptions(ExecutionProvider.Auto, logger: logger);
        using var options = selection.Options;

        Assert.Equal(ExecutionProvider.Cpu, selection.Provider);
        Assert.Contains("libonnxruntime_providers_cuda", selection.FallbackReason, StringComparison.Ordinal);
        var warning = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("falling back to the CPU execution provider", warning.Message, StringComparison.Ordinal);

        // The fallback options really create and run a session.
        using var session = new InferenceSession(TestModels.MatMulAdd().ToBytes(), options);
        Assert.Equal(["x"], session.InputNames);
    }

    [Fact]
    public void Cuda_fails_clearly_when_it_cannot_load()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ExecutionProviders.CreateSessionOptions(ExecutionProvider.Cuda));
        Assert.Contains("The CUDA execution provider cannot be used", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", ex.Message, StringComparison.Ordinal);
        Assert.IsType<OnnxRuntimeException>(ex.InnerException);
    }

    [Fact]
    public void Cpu_never_touches_cuda()
    {
        var logger = new CapturingLogger();
        var selection = ExecutionProviders.CreateSessionOptions(ExecutionProvider.Cpu, logger: logger, configure: o => o.IntraOpNumThreads = 1);
        using var options = selection.Options;
        Assert.Equal(ExecutionProvider.Cpu, selection.Provider);
        Assert.Null(selection.FallbackReason);
        Assert.Empty(logger.Entries);
        Assert.Equal(1, options.IntraOpNumThreads);
    }

    [Fact]
    public async Task CreateSession_auto_gives_a_working_cpu_session()
    {
        var path = TestModels.MatMulAdd().Save(_dir.File("model.onnx"));
        var (session, provider) = ExecutionProviders.CreateSession(path, ExecutionProvider.Auto);
        using (session)
        {
            Assert.Equal(ExecutionProvider.Cpu, provider);
            var report = await OnnxWarmup.RunAsync(session, Records.Stream(Records.Predict(("x", Records.Floats(1, 4)))));
            Assert.Equal(1, report.Summary.Replayed);
        }
    }

    [Theory]
    [InlineData("auto", ExecutionProvider.Auto)]
    [InlineData("CPU", ExecutionProvider.Cpu)]
    [InlineData(" cuda ", ExecutionProvider.Cuda)]
    public void Parse_accepts_the_three_names(string text, ExecutionProvider expected) => Assert.Equal(expected, ExecutionProviders.Parse(text));

    [Fact]
    public void Parse_refuses_anything_else() =>
        Assert.Contains("Use auto, cpu or cuda", Assert.Throws<ArgumentException>(() => ExecutionProviders.Parse("tpu")).Message, StringComparison.Ordinal);

    [Fact]
    public void Cuda_options_map_to_onnx_runtime_keys()
    {
        var options = new CudaProviderOptions
        {
            DeviceId = 1, ConvAlgoSearch = CudnnConvAlgoSearch.Heuristic, EnableCudaGraph = true, GpuMemoryLimitBytes = 2L << 30,
        }.ToProviderOptions();
        Assert.Equal("1", options["device_id"]);
        Assert.Equal("HEURISTIC", options["cudnn_conv_algo_search"]);
        Assert.Equal("1", options["enable_cuda_graph"]);
        Assert.Equal("2147483648", options["gpu_mem_limit"]);

        var defaults = new CudaProviderOptions().ToProviderOptions();
        Assert.Equal("EXHAUSTIVE", defaults["cudnn_conv_algo_search"]);
        Assert.False(defaults.ContainsKey("enable_cuda_graph"));
    }

    [Fact]
    public async Task IoBinding_replay_runs_on_cpu()
    {
        using var session = Sessions.Create(TestModels.TwoInputs());
        var report = await OnnxWarmup.RunAsync(session, Records.Stream(Records.Predict(("a", Records.Floats(2, 3)), ("b", Records.Floats(2, 3)))),
            new WarmupReplayOptions { UseIoBinding = true, Iterations = 3 });
        Assert.Equal(3, report.Summary.Runs);
    }
}
