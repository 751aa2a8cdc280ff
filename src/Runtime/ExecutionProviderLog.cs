using Microsoft.Extensions.Logging;

namespace Warmup.Runtime;

/// <summary>
/// How <see cref="ExecutionProvider.Auto"/> reports CPU: a warning only where CUDA was plausible (the GPU package whose
/// CUDA libraries or device are missing); with the CPU-only package, CPU is the expected outcome and is said once per
/// process at Information.
/// </summary>
internal static partial class Log
{
    private static int _cudaNotInPackageLogged;

    [LoggerMessage(EventId = 20, Level = LogLevel.Information,
        Message = "The ONNX Runtime package in use has no CUDA execution provider (Microsoft.ML.OnnxRuntime, the CPU build); ExecutionProvider Auto runs on the CPU. Reference Microsoft.ML.OnnxRuntime.Gpu for CUDA.")]
    private static partial void CudaNotInPackage(ILogger logger);

    /// <summary>Logs why Auto runs on the CPU: once at Information for the CPU-only package, else a warning.</summary>
    public static void CpuFallback(ILogger logger, Exception failure)
    {
        if (IsCpuOnlyPackage(failure))
        {
            // A caller without a logger (NullLogger) does not use up the one message.
            if (logger.IsEnabled(LogLevel.Information) && Interlocked.Exchange(ref _cudaNotInPackageLogged, 1) == 0)
            {
                CudaNotInPackage(logger);
            }

            return;
        }

        CudaFallback(logger, failure.Message);
    }

    /// <summary>The CPU package lacks the CUDA entry point, or was built without it ("not enabled in this build").</summary>
    internal static bool IsCpuOnlyPackage(Exception failure) =>
        failure is EntryPointNotFoundException
        || failure.Message.Contains("CUDA execution provider is not enabled in this build", StringComparison.OrdinalIgnoreCase);
}
