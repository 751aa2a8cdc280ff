using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Warmup.Format;

namespace Warmup.Runtime;

/// <summary>Which ONNX Runtime execution provider a session uses.</summary>
public enum ExecutionProvider
{
    /// <summary>CUDA when it loads, otherwise CPU with one warning.</summary>
    Auto,
    /// <summary>The CPU execution provider.</summary>
    Cpu,
    /// <summary>The CUDA execution provider; fails clearly when it cannot load.</summary>
    Cuda,
}

/// <summary>cuDNN's convolution algorithm search (<c>cudnn_conv_algo_search</c>).</summary>
public enum CudnnConvAlgoSearch
{
    /// <summary>Benchmark every algorithm per new input shape (ONNX Runtime's default): the fastest kernels, the slowest first run per shape.</summary>
    Exhaustive,
    /// <summary>cuDNN's heuristics, no benchmarking: a cheap first run, possibly slower steady state.</summary>
    Heuristic,
    /// <summary>The default algorithm, no search at all.</summary>
    Default,
}

/// <summary>CUDA execution provider options that decide how expensive a session's first requests are.</summary>
public sealed class CudaProviderOptions
{
    /// <summary>The GPU (<c>device_id</c>); default 0.</summary>
    public int DeviceId { get; init; }

    /// <summary>
    /// <c>cudnn_conv_algo_search</c>. With <see cref="CudnnConvAlgoSearch.Exhaustive"/> every new convolution input shape
    /// pays an algorithm benchmark on its first run: exactly the cost warmup absorbs, once per shape and session.
    /// </summary>
    public CudnnConvAlgoSearch ConvAlgoSearch { get; init; } = CudnnConvAlgoSearch.Exhaustive;

    /// <summary>
    /// <c>enable_cuda_graph</c>: ONNX Runtime captures the whole graph after the regular runs it needs (two) and replays it
    /// cheaply afterwards. Needs fixed shapes and IOBinding: warm with <see cref="WarmupReplayOptions.UseIoBinding"/> and at
    /// least 3 iterations so the capture happens during warmup, not on the first real request.
    /// </summary>
    public bool EnableCudaGraph { get; init; }

    /// <summary><c>gpu_mem_limit</c> in bytes for the CUDA arena; null leaves ONNX Runtime's default (no limit).</summary>
    public long? GpuMemoryLimitBytes { get; init; }

    /// <summary>The provider options as ONNX Runtime's key/value pairs.</summary>
    public Dictionary<string, string> ToProviderOptions()
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["device_id"] = DeviceId.ToString(CultureInfo.InvariantCulture),
            ["cudnn_conv_algo_search"] = ConvAlgoSearch switch
            {
                CudnnConvAlgoSearch.Heuristic => "HEURISTIC",
                CudnnConvAlgoSearch.Default => "DEFAULT",
                _ => "EXHAUSTIVE",
            },
        };
        if (EnableCudaGraph)
        {
            options["enable_cuda_graph"] = "1";
        }

        if (GpuMemoryLimitBytes is { } limit)
        {
            options["gpu_mem_limit"] = limit.ToString(CultureInfo.InvariantCulture);
        }

        return options;
    }
}

/// <summary>The session options built for a provider, and the provider actually used.</summary>
/// <param name="Options">Session options to create the <see cref="InferenceSession"/> with (the caller disposes them).</param>
/// <param name="Provider"><see cref="ExecutionProvider.Cpu"/> or <see cref="ExecutionProvider.Cuda"/>.</param>
/// <param name="FallbackReason">Why <see cref="ExecutionProvider.Auto"/> fell back to CPU, or null.</param>
public sealed record ExecutionProviderSelection(SessionOptions Options, ExecutionProvider Provider, string? FallbackReason);

/// <summary>Builds <see cref="SessionOptions"/> for <c>auto</c>, <c>cpu</c> or <c>cuda</c>.</summary>
public static class ExecutionProviders
{
    /// <summary>Parses <c>auto</c>, <c>cpu</c> or <c>cuda</c> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other value.</exception>
    public static ExecutionProvider Parse(string value) => value?.Trim().ToLowerInvariant() switch
    {
        "auto" => ExecutionProvider.Auto,
        "cpu" => ExecutionProvider.Cpu,
        "cuda" or "gpu" => ExecutionProvider.Cuda,
        _ => throw new ArgumentException($"Unknown execution provider \"{value}\". Use auto, cpu or cuda.", nameof(value)),
    };

    /// <summary>
    /// Creates session options for <paramref name="provider"/>. <see cref="ExecutionProvider.Auto"/> tries CUDA and falls
    /// back to CPU when the CUDA provider cannot load (a warning; with the CPU-only package, where CPU is expected, one
    /// Information line per process): the GPU package raises
    /// <see cref="OnnxRuntimeException"/> ("Failed to load shared library") without CUDA/cuDNN, and the CPU package
    /// lacks the entry point (<see cref="EntryPointNotFoundException"/>). <c>GetAvailableProviders()</c> is not used: it
    /// lists what the binary was built with, not whether a GPU and its libraries are present.
    /// </summary>
    /// <param name="provider">The provider wanted.</param>
    /// <param name="cuda">CUDA options; null uses the defaults.</param>
    /// <param name="logger">Receives the fallback warning.</param>
    /// <param name="configure">Applied to the options before the provider is appended (threads, optimisation level…).</param>
    /// <exception cref="InvalidOperationException"><see cref="ExecutionProvider.Cuda"/> was asked for and cannot load.</exception>
    public static ExecutionProviderSelection CreateSessionOptions(ExecutionProvider provider, CudaProviderOptions? cuda = null, ILogger? logger = null,
        Action<SessionOptions>? configure = null)
    {
        var options = new SessionOptions();
        try
        {
            configure?.Invoke(options);
            if (provider == ExecutionProvider.Cpu)
            {
                return new ExecutionProviderSelection(options, ExecutionProvider.Cpu, null);
            }

            var failure = TryAppendCuda(options, cuda ?? new CudaProviderOptions());
            if (failure is null)
            {
                return new ExecutionProviderSelection(options, ExecutionProvider.Cuda, null);
            }

            if (provider == ExecutionProvider.Cuda)
            {
                throw new InvalidOperationException(
                    $"The CUDA execution provider cannot be used: {failure.Message} Reference Microsoft.ML.OnnxRuntime.Gpu (not Microsoft.ML.OnnxRuntime), " +
                    "install the CUDA and cuDNN versions it needs, or choose the provider auto or cpu.", failure);
            }

            Log.CpuFallback(logger ?? NullLogger.Instance, failure);
            return new ExecutionProviderSelection(options, ExecutionProvider.Cpu, failure.Message);
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates a session for <paramref name="modelPath"/> on <paramref name="provider"/>. Under
    /// <see cref="ExecutionProvider.Auto"/> a CUDA provider that loads but cannot create the session (no device, driver
    /// mismatch) also falls back to CPU with one warning.
    /// </summary>
    /// <returns>The session and the provider it runs on.</returns>
    /// <exception cref="IOException">The path is not a regular file (a FIFO, device or directory), checked before ONNX Runtime opens it.</exception>
    public static (InferenceSession Session, ExecutionProvider Provider) CreateSession(string modelPath, ExecutionProvider provider,
        CudaProviderOptions? cuda = null, ILogger? logger = null, Action<SessionOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        // ONNX Runtime opens the path itself: a FIFO would block it and a device would be read to exhaustion.
        SafeFile.RequireRegular(modelPath, "the ONNX model");
        var selection = CreateSessionOptions(provider, cuda, logger, configure);
        using (selection.Options)
        {
            try
            {
                return (new InferenceSession(modelPath, selection.Options), selection.Provider);
            }
            catch (OnnxRuntimeException ex) when (provider == ExecutionProvider.Auto && selection.Provider == ExecutionProvider.Cuda)
            {
                Log.CudaFallback(logger ?? NullLogger.Instance, ex.Message);
            }
            catch (OnnxRuntimeException ex) when (provider == ExecutionProvider.Cuda)
            {
                throw new InvalidOperationException($"The CUDA execution provider cannot create a session for {modelPath}: {ex.Message}", ex);
            }
        }

        using var cpu = CreateSessionOptions(ExecutionProvider.Cpu, null, logger, configure).Options;
        return (new InferenceSession(modelPath, cpu), ExecutionProvider.Cpu);
    }

    private static Exception? TryAppendCuda(SessionOptions options, CudaProviderOptions cuda)
    {
        try
        {
            using var providerOptions = new OrtCUDAProviderOptions();
            providerOptions.UpdateOptions(cuda.ToProviderOptions());
            options.AppendExecutionProvider_CUDA(providerOptions);
            return null;
        }
        catch (OnnxRuntimeException ex)
        {
            return ex;
        }
        catch (EntryPointNotFoundException ex)
        {
            return ex;
        }
        catch (DllNotFoundException ex)
        {
            return ex;
        }
    }
}
