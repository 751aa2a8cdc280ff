using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Tensors;
using Warmup.Format.TfRecord;

namespace Warmup.Runtime.Hosting;

/// <summary>
/// One warmup record handed to <see cref="WarmedOnnxModelOptions.RequestPathWarmup"/>: its inputs decoded and checked
/// against the session, keyed by the session's input names. The delegate derives from them what its endpoint takes
/// (text of that many tokens, an image of that size…) and runs what the endpoint runs: pre-processing, the session,
/// post-processing.
/// </summary>
public sealed class WarmupRequest
{
    internal WarmupRequest(WarmedOnnxModel model, long recordIndex, long byteOffset, string signature, IReadOnlyDictionary<string, TensorData> inputs)
    {
        Model = model;
        Services = model.Services;
        RecordIndex = recordIndex;
        ByteOffset = byteOffset;
        Signature = signature;
        Inputs = inputs;
    }

    /// <summary>The model being warmed; its sessions exist and the warmup file has been replayed on them.</summary>
    public WarmedOnnxModel Model { get; }

    /// <summary>The host's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>The record's index in the warmup file.</summary>
    public long RecordIndex { get; }

    /// <summary>The record's byte offset in the warmup file.</summary>
    public long ByteOffset { get; }

    /// <summary>The signature the record runs (a multi-inference record is handed over once per task).</summary>
    public string Signature { get; }

    /// <summary>The record's inputs by session input name, as .NET values (<c>long[]</c> for int64, <c>byte[][]</c> for strings…).</summary>
    public IReadOnlyDictionary<string, TensorData> Inputs { get; }

    /// <summary>
    /// The records of <paramref name="model"/>'s warmup file as requests, decoded and checked like the
    /// replay does; for deriving HTTP warmup bodies or tests. Valid once the model's sessions exist.
    /// </summary>
    public static IReadOnlyList<WarmupRequest> ReadAll(WarmedOnnxModel model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var file = model.Options.ResolveWarmupFilePath();
        return file is null ? [] : RequestPathWarmup.Read(model, model.Sessions, file, cancellationToken).ToList();
    }

    /// <summary>The input named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The record has no such input.</exception>
    public TensorData Input(string name) => Inputs.TryGetValue(name, out var input) ? input
        : throw new KeyNotFoundException($"Warmup record {RecordIndex} has no input \"{name}\" (inputs: {string.Join(", ", Inputs.Keys)}).");
}

/// <summary>
/// The second start-up pass of <see cref="WarmedOnnxModel"/>: every record of the warmup file through the
/// application's own inference code, so that its pre- and post-processing are compiled and its caches filled before
/// the model reports ready. Records are decoded and checked by the replay's own mapping (<see cref="RequestMapper"/>).
/// </summary>
internal static class RequestPathWarmup
{
    public static async Task<int> RunAsync(WarmedOnnxModel model, IReadOnlyDictionary<string, InferenceSession> sessions, string warmupFile,
        CancellationToken cancellationToken)
    {
        var options = model.Options;
        var handler = options.RequestPathWarmup!;
        var replay = options.Replay;
        var started = Stopwatch.GetTimestamp();
        var calls = 0;
        foreach (var record in Read(model, sessions, warmupFile, cancellationToken))
        {
            try
            {
                await handler(record, cancellationToken).ConfigureAwait(false);
                calls++;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                var error = new WarmupReplayException(WarmupFailureKind.RunFailed,
                    $"the request-path warmup (RequestPathWarmup) failed on signature \"{record.Signature}\": {ex.GetType().Name}: {ex.Message} " +
                    "Fix the application's inference code, or make the delegate derive valid requests from the record.",
                    warmupFile, record.RecordIndex, record.ByteOffset, ex);
                if (replay.FailurePolicy == WarmupFailurePolicy.FailLoad)
                {
                    throw error;
                }

                RequestPathLog.RequestPathRecordFailed(model.Logger, model.Name, error.Message, ex);
            }
        }

        var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        RequestPathLog.RequestPathWarm(model.Logger, model.Name, calls, elapsedMs);
        return calls;
    }

    /// <summary>
    /// The records of <paramref name="warmupFile"/> as requests, one per run (a multi-inference record gives one per task).
    /// Records the replay could not run (it has reported them) are logged and left out.
    /// </summary>
    public static IEnumerable<WarmupRequest> Read(WarmedOnnxModel model, IReadOnlyDictionary<string, InferenceSession> sessions, string warmupFile,
        CancellationToken cancellationToken)
    {
        if (!File.Exists(warmupFile))
        {
            yield break;
        }

        var replay = model.Options.Replay;
        using var stream = new FileStream(warmupFile, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: false);
        using var reader = new TfRecordReader(stream, warmupFile, leaveOpen: true);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long index, offset;
            PredictionLog log;
            try
            {
                if (!reader.MoveNext())
                {
                    yield break;
                }

                (index, offset) = (reader.Current.Index, reader.Current.Offset);
                if (replay.MaxRecords is { } max && index >= max)
                {
                    yield break;
                }

                log = WarmupFile.ParseRecord(reader.Current.Data.Span, index, offset, warmupFile);
            }
            catch (WarmupFormatException ex)
            {
                // Nothing after corrupt framing can be located.
                RequestPathLog.RequestPathRecordFailed(model.Logger, model.Name, ex.Message, ex);
                yield break;
            }

            if (TfServing.GetSupport(log.LogTypeCase) == LogTypeSupport.SilentlySkipped)
            {
                continue;
            }

            List<WarmupRequest> runs;
            try
            {
                using var prepared = RequestMapper.Prepare(log, sessions, replay);
                runs = prepared.Runs.Select(r => new WarmupRequest(model, index, offset, r.Signature, Decode(r))).ToList();
            }
            catch (WarmupReplayException ex)
            {
                RequestPathLog.RequestPathRecordFailed(model.Logger, model.Name, ex.WithLocation(warmupFile, index, offset).Message, ex);
                continue;
            }

            foreach (var run in runs)
            {
                yield return run;
            }
        }
    }

    // Copies the prepared ONNX Runtime inputs back into .NET values: the decoded, name-resolved, checked request.
    private static Dictionary<string, TensorData> Decode(PreparedRun run)
    {
        var inputs = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        for (var i = 0; i < run.InputNames.Length; i++)
        {
            var value = run.Inputs[i];
            var info = value.GetTensorTypeAndShape();
            var shape = info.Shape;
            inputs[run.InputNames[i]] = info.ElementDataType switch
            {
                TensorElementType.Float => Copy<float>(value, shape),
                TensorElementType.Double => Copy<double>(value, shape),
                TensorElementType.Int64 => Copy<long>(value, shape),
                TensorElementType.Int32 => Copy<int>(value, shape),
                TensorElementType.Int16 => Copy<short>(value, shape),
                TensorElementType.Int8 => Copy<sbyte>(value, shape),
                TensorElementType.UInt64 => Copy<ulong>(value, shape),
                TensorElementType.UInt32 => Copy<uint>(value, shape),
                TensorElementType.UInt16 => Copy<ushort>(value, shape),
                TensorElementType.UInt8 => Copy<byte>(value, shape),
                TensorElementType.Bool => Copy<bool>(value, shape),
                TensorElementType.Float16 => Copy<Half>(value, shape),
                TensorElementType.BFloat16 => Copy<Warmup.Format.Tensors.BFloat16>(value, shape),
                TensorElementType.String => TensorData.CreateStrings(
                    Enumerable.Range(0, checked((int)info.ElementCount)).Select(e => Encoding.UTF8.GetBytes(value.GetStringElement(e))).ToArray(), shape),
                var other => throw new WarmupReplayException(WarmupFailureKind.UnsupportedDtype, $"input \"{run.InputNames[i]}\" has element type {other}."),
            };
        }

        return inputs;
    }

    private static TensorData Copy<T>(OrtValue value, long[] shape) where T : unmanaged =>
        TensorData.Create(MemoryMarshal.Cast<byte, T>(value.GetTensorMutableRawData()).ToArray(), shape);
}

internal static partial class RequestPathLog
{
    [LoggerMessage(EventId = 41, Level = LogLevel.Information,
        Message = "Model {Model}: the request path is warm: {Calls} call(s) of the application's inference code in {ElapsedMs:F1} ms.")]
    public static partial void RequestPathWarm(ILogger logger, string model, int calls, double elapsedMs);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "Model {Model}: a record was not run through the request path: {Problem}")]
    public static partial void RequestPathRecordFailed(ILogger logger, string model, string problem, Exception exception);
}
