using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Warmup.Runtime;

namespace Warmup.Cli;

/// <summary>Creates ONNX Runtime sessions for <c>run</c> and <c>measure</c>, with one-line errors for models that cannot load.</summary>
internal static class OnnxSessions
{
    public static ExecutionProvider ParseDevice(string device) => ExecutionProviders.Parse(device);

    public static string Name(ExecutionProvider provider) => provider.ToString().ToLowerInvariant();

    /// <summary>Checks that <paramref name="modelPath"/> is an .onnx file (SavedModels run on TF Serving, not here).</summary>
    public static string RequireOnnx(string modelPath)
    {
        if (Directory.Exists(modelPath))
        {
            throw CliException.Usage($"{modelPath}: is a directory; this command runs an .onnx model on ONNX Runtime. Pass the .onnx file.");
        }

        // ONNX Runtime opens the file itself: a FIFO or device must be refused before it blocks or reads forever.
        return InputFiles.RequireFile(modelPath, "the ONNX model");
    }

    /// <summary>
    /// Creates a session, turning ONNX Runtime's failures into one line. The first call settles the provider (auto falls back
    /// to CPU once, with a warning); later calls reuse it, so every phase of a measurement runs on the same device.
    /// </summary>
    public static Func<InferenceSession> Factory(string modelPath, ExecutionProvider device, CliContext context, Action<ExecutionProvider>? chosen = null)
    {
        // Under auto, falling back to CPU is the expected outcome with the CPU package: the report names the device used,
        // so the Runtime's fallback warning is only shown when CUDA was asked for explicitly.
        var logger = device == ExecutionProvider.Cuda ? new StderrLogger(context) : null;
        RouteNativeLog(context);
        var provider = device;
        var settled = false;
        return () =>
        {
            try
            {
                var (session, used) = ExecutionProviders.CreateSession(modelPath, provider, logger: logger);
                if (!settled)
                {
                    settled = true;
                    provider = used;
                    chosen?.Invoke(used);
                }

                return session;
            }
            catch (OnnxRuntimeException ex)
            {
                throw CliException.Invalid($"{modelPath}: ONNX Runtime cannot load the model ({ex.Message.Split('\n')[0]}). Check that it is a valid .onnx file.");
            }
            catch (InvalidOperationException ex) when (device == ExecutionProvider.Cuda)
            {
                throw CliException.Invalid(ex.Message.Split('\n')[0]);
            }
        };
    }

    // Kept alive for as long as ONNX Runtime may call it.
    private static DOrtLoggingFunction? _nativeLog;
    private static CliContext? _logContext;

    /// <summary>
    /// ONNX Runtime's own log (multi-line, coloured, written straight to stderr by default) goes through our messages:
    /// errors and warnings as one escaped <c>warning: onnxruntime: …</c> line each; informational lines are dropped.
    /// </summary>
    private static void RouteNativeLog(CliContext context)
    {
        // The environment lives as long as the process; its callback writes to the latest command's messages.
        Volatile.Write(ref _logContext, context);
        if (OrtEnv.IsCreated)
        {
            return;
        }

        _nativeLog = (_, severity, _, _, _, message) =>
        {
            if (severity < OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING)
            {
                return;
            }

            try
            {
                Volatile.Read(ref _logContext)?.Warning("onnxruntime: " + message.Trim());
            }
            catch (Exception ex) when (ex is ObjectDisposedException or IOException)
            {
                // Never throw back into native code: a log line is not worth a crash.
            }
        };
        var options = new EnvironmentCreationOptions { logId = "warmup", logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, loggingFunction = _nativeLog };
        try
        {
            OrtEnv.CreateInstanceWithOptions(ref options);
        }
        catch (OnnxRuntimeException)
        {
            // Created meanwhile with default options: its log stays as it is.
        }
    }

    /// <summary>Runtime log messages at warning level and above, as <c>warning: …</c> lines on stderr.</summary>
    private sealed class StderrLogger(CliContext context) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                context.Error.WriteLine($"{(logLevel >= LogLevel.Error ? "error" : "warning")}: {formatter(state, exception)}");
            }
        }
    }
}
