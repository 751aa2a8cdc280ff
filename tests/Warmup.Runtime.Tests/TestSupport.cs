using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Testing;

namespace Warmup.Runtime.Tests;

/// <summary>A temporary folder per test class instance, deleted afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "warmup-runtime-tests", Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Builds warmup records and files for tests.</summary>
public static class Records
{
    public static PredictionLog Predict(params (string Name, TensorProto Tensor)[] inputs) => Predict(null, inputs);

    public static PredictionLog Predict(string? signature, params (string Name, TensorProto Tensor)[] inputs)
    {
        var request = new PredictRequest { ModelSpec = new ModelSpec { Name = "m", SignatureName = signature ?? string.Empty } };
        foreach (var (name, tensor) in inputs)
        {
            request.Inputs[name] = tensor;
        }

        return new PredictionLog { PredictLog = new PredictLog { Request = request } };
    }

    public static TensorProto Floats(params long[] shape) =>
        TensorProtoConverter.FromArray(Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(i => (i % 7) * 0.25f).ToArray(), shape);

    public static TensorProto Int64s(long value, params long[] shape) =>
        TensorProtoConverter.FromArray(Enumerable.Repeat(value, (int)shape.Aggregate(1L, (a, b) => a * b)).ToArray(), shape);

    public static Example Example(params (string Name, Feature Feature)[] features)
    {
        var example = new Example { Features = new Features() };
        foreach (var (name, feature) in features)
        {
            example.Features.Feature[name] = feature;
        }

        return example;
    }

    public static Feature FloatFeature(params float[] values) => new() { FloatList = new FloatList { Value = { values } } };

    public static Feature Int64Feature(params long[] values) => new() { Int64List = new Int64List { Value = { values } } };

    /// <summary>Writes the records without validation, so tests can write records TF Serving would refuse.</summary>
    public static string Write(string path, params PredictionLog[] logs)
    {
        WarmupFile.Write(path, logs, new WarmupWriteOptions { Validate = false, MaxRecords = int.MaxValue });
        return path;
    }

    public static MemoryStream Stream(params PredictionLog[] logs)
    {
        var stream = new MemoryStream();
        WarmupFile.Write(stream, logs, new WarmupWriteOptions { Validate = false, MaxRecords = int.MaxValue });
        stream.Position = 0;
        return stream;
    }
}

public static class Sessions
{
    /// <summary>Saves a model as root/name/1/model.onnx with its warmup file in TF Serving's layout; returns the model's path.</summary>
    public static string SaveInLayout(string root, string name, OnnxModelBuilder model, params PredictionLog[] warmup)
    {
        var path = model.Save(System.IO.Path.Combine(root, name, "1", "model.onnx"));
        if (warmup.Length > 0)
        {
            Records.Write(TfServing.GetWarmupFilePath(root, name, 1), warmup);
        }

        return path;
    }

    public static InferenceSession Create(OnnxModelBuilder model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        return new InferenceSession(model.ToBytes(), options);
    }

    /// <summary>A conv model over a large image: one run takes long enough to cancel or time out.</summary>
    public static OnnxModelBuilder SlowConv() => TestModels.ConvRelu(channels: 32);
}

/// <summary>An ILogger that keeps what it is given.</summary>
public sealed class CapturingLogger : ILogger, ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, eventId, formatter(state, exception)));

    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }
}

/// <summary>
/// Tests that assert wall-clock bounds (cancellation within a second, timeouts, shutdown) run alone, after the parallel
/// ones: on a 2-core machine, other test classes' inference would otherwise be what they measure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "Timing";
}
