using Microsoft.ML.OnnxRuntime;
using Warmup.Testing;

namespace Warmup.Runtime.CpuPackage.Tests;

/// <summary>With Microsoft.ML.OnnxRuntime (CPU) the CUDA provider is not compiled in at all.</summary>
public sealed class CpuPackageTests
{
    [Fact]
    public void Auto_falls_back_to_cpu_on_the_cpu_package()
    {
        var selection = ExecutionProviders.CreateSessionOptions(ExecutionProvider.Auto);
        using var options = selection.Options;
        Assert.Equal(ExecutionProvider.Cpu, selection.Provider);
        Assert.Contains("CUDA execution provider is not enabled in this build", selection.FallbackReason, StringComparison.Ordinal);
        using var session = new InferenceSession(TestModels.MatMulAdd().ToBytes(), options);
        Assert.Equal(["x"], session.InputNames);
    }

    [Fact]
    public void Cuda_fails_clearly_on_the_cpu_package()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ExecutionProviders.CreateSessionOptions(ExecutionProvider.Cuda));
        Assert.Contains("Reference Microsoft.ML.OnnxRuntime.Gpu", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_legacy_cuda_entry_point_is_missing_from_the_cpu_package()
    {
        // Why the helper also catches EntryPointNotFoundException: the int overload binds a native symbol the CPU build lacks.
        using var options = new SessionOptions();
        Assert.Throws<EntryPointNotFoundException>(() => options.AppendExecutionProvider_CUDA(0));
    }
}
