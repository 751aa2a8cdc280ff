using System.Collections.Concurrent;
using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using TensorProto = Warmup.Format.Protos.TensorFlow.TensorProto;

namespace Warmup.Runtime.Hosting;

/// <summary>What a model's recorder has done so far.</summary>
public sealed record WarmupRecordingStatus
{
    /// <summary>The file the recorder writes.</summary>
    public required string OutputPath { get; init; }

    /// <summary>Records held (and written at the next flush).</summary>
    public int Records { get; init; }

    /// <summary>Records in the file as last written.</summary>
    public int RecordsWritten { get; init; }

    /// <summary>Bytes of the records held (TFRecord framing included).</summary>
    public long Bytes { get; init; }

    /// <summary>Sampled requests dropped because the queue was full.</summary>
    public long DroppedQueueFull { get; init; }

    /// <summary>Sampled requests dropped because the file would exceed <see cref="WarmupRecordingOptions.MaxBytes"/>, or could not be recorded.</summary>
    public long DroppedOther { get; init; }

    /// <summary>Every dropped request.</summary>
    public long Dropped => DroppedQueueFull + DroppedOther;

    /// <summary>Flushes that failed to write the file (the records are kept and written by a later flush).</summary>
    public int WriteFailures { get; init; }

    /// <summary>The last write failure, if the last flush failed.</summary>
    public string? LastError { get; init; }
}

/// <summary>
/// Records served requests into a warmup file. The request path decides (sample rate, policy, limits, queue space) and
/// copies only what it must — the input bytes of an accepted request, which the caller owns — then enqueues without
/// waiting; building the PredictionLogs, validation, serialisation and the atomic file writes run on a background task.
/// </summary>
internal sealed class WarmupRecorder : IAsyncDisposable
{
    private const int FramingBytes = 16;

    private readonly string _model;
    private readonly WarmupInstruments _instruments;
    private readonly WarmupRecordingOptions _options;
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly Channel<PendingRequest> _queue;
    private readonly ConcurrentDictionary<RequestShape, byte> _shapes = new();
    private readonly List<PredictionLog> _records = [];
    private readonly SemaphoreSlim _flushLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly SplitMix64 _random;
    private readonly Task _consumer;
    private readonly Task _flusher;
    private int _reserved;
    private long _seen;
    private long _droppedQueueFull;
    private long _droppedOther;
    private long _bytes;
    private int _written;
    private int _writeFailures;
    private string? _lastError;
    private string? _lastProblem;
    private int _stopped;
    private volatile Task? _gate;

    public WarmupRecorder(string model, WarmupRecordingOptions options, ILogger logger, WarmupInstruments instruments)
    {
        _model = model;
        _instruments = instruments;
        _options = options;
        _path = Path.GetFullPath(options.OutputPath!);
        _logger = logger;
        _random = new SplitMix64((ulong)options.Seed);
        _queue = Channel.CreateBounded<PendingRequest>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait,
        });
        Log.RecordingStarted(logger, model, _path, options.Policy, options.SampleRate, options.Payload);
        _consumer = Task.Run(ConsumeAsync);
        _flusher = Task.Run(FlushPeriodicallyAsync);
    }

    /// <summary>Whether the request should be recorded; when true, a slot is reserved and the caller must <see cref="Enqueue"/> or <see cref="Release"/>.</summary>
    public bool TryReserve(RequestShape shape)
    {
        if (Volatile.Read(ref _stopped) != 0 || Volatile.Read(ref _reserved) >= _options.MaxRecords)
        {
            return false;
        }

        if (_options.SampleRate < 1 && Random.Shared.NextDouble() >= _options.SampleRate)
        {
            return false;
        }

        if (_options.Policy == WarmupRecordingPolicy.OnePerShape ? _shapes.ContainsKey(shape) : Interlocked.Increment(ref _seen) % _options.EveryNth != 0)
        {
            return false;
        }

        // Full queue: dropped before anything is copied, so a burst costs the request path nothing more.
        if (_queue.Reader.Count >= _options.QueueCapacity)
        {
            Interlocked.Increment(ref _droppedQueueFull);
            _instruments.RecorderDropped.Add(1, new KeyValuePair<string, object?>("model", _model), new KeyValuePair<string, object?>("reason", "queue_full"));
            return false;
        }

        if (_options.Policy == WarmupRecordingPolicy.OnePerShape && !_shapes.TryAdd(shape, 0))
        {
            return false;
        }

        if (Interlocked.Increment(ref _reserved) > _options.MaxRecords)
        {
            Release(shape);
            return false;
        }

        return true;
    }

    /// <summary>Gives back a reservation that was not enqueued.</summary>
    public void Release(RequestShape shape)
    {
        Interlocked.Decrement(ref _reserved);
        if (_options.Policy == WarmupRecordingPolicy.OnePerShape)
        {
            _shapes.TryRemove(shape, out _);
        }
    }

    /// <summary>Whether the request's values are recorded (else only its shapes).</summary>
    public bool RecordsValues => _options.Payload == WarmupRecordingPayload.Values;

    /// <summary>Hands a reserved request to the writer; never waits.</summary>
    public void Enqueue(PendingRequest request)
    {
        if (!_queue.Writer.TryWrite(request))
        {
            Release(request.Shape);
            Interlocked.Increment(ref _droppedQueueFull);
            _instruments.RecorderDropped.Add(1, new KeyValuePair<string, object?>("model", _model), new KeyValuePair<string, object?>("reason", "queue_full"));
        }
    }

    public WarmupRecordingStatus Status
    {
        get
        {
            lock (_records)
            {
                return new WarmupRecordingStatus
                {
                    OutputPath = _path,
                    Records = _records.Count,
                    RecordsWritten = Volatile.Read(ref _written),
                    Bytes = _bytes,
                    DroppedQueueFull = Interlocked.Read(ref _droppedQueueFull),
                    DroppedOther = Interlocked.Read(ref _droppedOther),
                    WriteFailures = Volatile.Read(ref _writeFailures),
                    LastError = Volatile.Read(ref _lastError),
                };
            }
        }
    }

    /// <summary>Tests: the writer takes nothing from the queue until <paramref name="gate"/> completes (a slow disk, deterministically).</summary>
    internal void HoldWriterUntil(Task gate) => _gate = gate;

    private async Task ConsumeAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (_gate is { } gate)
            {
                await gate.ConfigureAwait(false);
            }

            while (reader.TryRead(out var request))
            {
                try
                {
                    Add(request);
                }
                catch (Exception ex)
                {
                    // A request the file cannot hold (an unsupported dtype, say) is dropped, never retried.
                    DropOther(request.Shape, "invalid");
                    Log.RecordingFailed(_logger, _model, ex.Message, ex);
                }
            }
        }
    }

    private void Add(PendingRequest pending)
    {
        var request = new PredictRequest { ModelSpec = new ModelSpec { Name = _model, SignatureName = pending.Shape.Signature } };
        foreach (var input in pending.Inputs)
        {
            request.Inputs[input.Name] = ToTensor(input);
        }

        // TF Serving's request logging: the request with log_metadata (model spec, sampling config, timestamp).
        var log = new PredictionLog
        {
            LogMetadata = new LogMetadata
            {
                ModelSpec = request.ModelSpec.Clone(),
                SamplingConfig = new SamplingConfig { SamplingRate = _options.SampleRate },
                TimestampSecs = pending.Time.ToUnixTimeSeconds(),
            },
            PredictLog = new PredictLog { Request = request },
        };
        if (WarmupValidator.ValidateLog(log).FirstOrDefault(i => i.Severity == WarmupIssueSeverity.Error) is { } issue)
        {
            throw new InvalidOperationException($"the request of shape {pending.Shape} is not a valid warmup record: {issue.Message}");
        }

        var size = log.CalculateSize() + FramingBytes;
        lock (_records)
        {
            if (_bytes + size > _options.MaxBytes)
            {
                DropOther(pending.Shape, "max_bytes");
                return;
            }

            _records.Add(log);
            _bytes += size;
        }

        _instruments.RecordedRequests.Add(1, new KeyValuePair<string, object?>("model", _model));
    }

    private void DropOther(RequestShape shape, string reason)
    {
        // The shape stays marked (OnePerShape): retrying it would fail the same way.
        Interlocked.Increment(ref _droppedOther);
        Interlocked.Decrement(ref _reserved);
        _instruments.RecorderDropped.Add(1, new KeyValuePair<string, object?>("model", _model), new KeyValuePair<string, object?>("reason", reason));
    }

    private TensorProto ToTensor(PendingInput input)
    {
        switch (_options.Payload)
        {
            case WarmupRecordingPayload.Zeros:
            case WarmupRecordingPayload.SeededRandom:
                var fill = _options.Payload == WarmupRecordingPayload.Zeros ? TensorFill.Zeros : TensorFill.Random;
                return TensorProtoConverter.FromTensorData(TensorFill.Create(input.DType, input.Shape, fill, _random, $"input \"{input.Name}\""));
        }

        if (input.Proto is { } proto)
        {
            return proto;
        }

        if (input.Strings is { } strings)
        {
            return TensorProtoConverter.FromStrings(strings, input.Shape);
        }

        // The bytes were copied for this record alone: wrapped, not copied again.
        return new TensorProto
        {
            Dtype = input.DType,
            TensorShape = TensorShapes.ToProto(input.Shape),
            TensorContent = UnsafeByteOperations.UnsafeWrap(input.Content ?? []),
        };
    }

    private async Task FlushPeriodicallyAsync()
    {
        using var timer = new PeriodicTimer(_options.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: StopAsync writes the rest.
        }
    }

    /// <summary>Writes the records held, if any changed since the last write. Never throws: failures are logged and counted.</summary>
    public async Task FlushAsync()
    {
        await _flushLock.WaitAsync().ConfigureAwait(false);
        try
        {
            PredictionLog[] records;
            long bytes;
            lock (_records)
            {
                if (_records.Count == Volatile.Read(ref _written) && _lastError is null)
                {
                    return;
                }

                records = _records.ToArray();
                bytes = _bytes;
            }

            try
            {
                RecordingFile.Write(_path, records);
                Volatile.Write(ref _written, records.Length);
                Volatile.Write(ref _lastError, null);
                Volatile.Write(ref _lastProblem, null);
                var dropped = Interlocked.Read(ref _droppedQueueFull) + Interlocked.Read(ref _droppedOther);
                Log.RecordingFlushed(_logger, _model, records.Length, bytes, _path, dropped);
            }
            catch (Exception ex) when (ex is WarmupFormatException or IOException or UnauthorizedAccessException)
            {
                Interlocked.Increment(ref _writeFailures);
                Volatile.Write(ref _lastError, ex.Message);
                // Logged once per distinct problem, so a full disk does not flood the log every interval. The kind of
                // failure, not its message: a message names the temp file, which is new at every attempt.
                var problem = $"{ex.GetType().FullName}:{ex.HResult}";
                if (!string.Equals(Interlocked.Exchange(ref _lastProblem, problem), problem, StringComparison.Ordinal))
                {
                    Log.RecordingWriteFailed(_logger, _model, _path, ex.Message, ex);
                }
            }
        }
        finally
        {
            _flushLock.Release();
        }
    }

    /// <summary>Stops accepting requests, writes what is queued, and flushes.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            await _consumer.ConfigureAwait(false);
            return;
        }

        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_consumer, _flusher).ConfigureAwait(false);
        await FlushAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
        _flushLock.Dispose();
    }

    /// <summary>A request waiting for the writer: its shape, when it was served, and its inputs.</summary>
    internal sealed class PendingRequest(RequestShape shape, DateTimeOffset time, PendingInput[] inputs)
    {
        public RequestShape Shape { get; } = shape;
        public DateTimeOffset Time { get; } = time;
        public PendingInput[] Inputs { get; } = inputs;
    }

    /// <summary>One input: a proto as the request gave it, copied string elements, or copied little-endian bytes (or only its shape).</summary>
    internal readonly record struct PendingInput(string Name, DataType DType, long[] Shape, byte[]? Content = null, byte[][]? Strings = null, TensorProto? Proto = null);
}

/// <summary>The recorder's one file write: atomic (temp file, then rename) through the Format's writer.</summary>
internal static class RecordingFile
{
    public static void Write(string path, IReadOnlyList<PredictionLog> records) =>
        WarmupFile.Write(path, records, new WarmupWriteOptions { Validate = false });
}
