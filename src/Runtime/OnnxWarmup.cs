using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.TfRecord;

namespace Warmup.Runtime;

/// <summary>
/// Replays a TensorFlow Serving warmup file on ONNX Runtime sessions, the way TF Serving replays it before a model
/// serves: records are streamed (only the records in flight are held), each is mapped to the session's inputs, checked,
/// and run <see cref="WarmupReplayOptions.Iterations"/> times.
/// </summary>
public static class OnnxWarmup
{
    private const string StreamName = "<stream>";

    /// <summary>
    /// Replays <paramref name="warmupFilePath"/> on <paramref name="session"/>, which serves the <c>serving_default</c>
    /// signature (records naming another signature fail, as in TF Serving). A missing file logs an information line and
    /// returns a report with <see cref="WarmupReport.FileFound"/> false.
    /// </summary>
    /// <exception cref="WarmupReplayException">A record failed under <see cref="WarmupFailurePolicy.FailLoad"/>, or the path is a directory.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the run in flight is terminated.</exception>
    public static Task<WarmupReport> RunAsync(InferenceSession session, string warmupFilePath, WarmupReplayOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return RunAsync(Single(session), warmupFilePath, options, cancellationToken);
    }

    /// <summary>Replays the warmup records of <paramref name="warmupFile"/> on <paramref name="session"/> (see the path overload).</summary>
    public static Task<WarmupReport> RunAsync(InferenceSession session, Stream warmupFile, WarmupReplayOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return RunAsync(Single(session), warmupFile, options, cancellationToken);
    }

    /// <summary>
    /// Replays <paramref name="warmupFilePath"/> on several sessions: each record runs on the session registered under its
    /// signature name (an empty name means <c>serving_default</c>).
    /// </summary>
    public static async Task<WarmupReport> RunAsync(IReadOnlyDictionary<string, InferenceSession> sessionsBySignature, string warmupFilePath,
        WarmupReplayOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionsBySignature);
        ArgumentException.ThrowIfNullOrEmpty(warmupFilePath);
        options ??= new WarmupReplayOptions();
        options.Profiler?.ReplayStarted();
        options.Validate();
        if (Directory.Exists(warmupFilePath))
        {
            throw new WarmupReplayException(WarmupFailureKind.Io,
                "is a directory, not a warmup file. Pass the path of the tf_serving_warmup_requests file.", warmupFilePath);
        }

        if (!File.Exists(warmupFilePath))
        {
            // TF Serving: "No warmup data file found at <path>" and the load goes on.
            Log.NoWarmupFile(options.Logger ?? NullLogger.Instance, warmupFilePath);
            var model = options.ModelName ?? warmupFilePath;
            (options.Instruments ?? WarmupInstruments.Shared).RecordLatency(model, "ok", 0);
            return new WarmupReport
            {
                Model = model, Source = warmupFilePath, FileFound = false, Iterations = options.Iterations, Threads = options.Threads,
                Summary = new WarmupSummary(),
            };
        }

        FileStream stream;
        try
        {
            // Read synchronously by the replay's worker threads; the file buffer only serves record headers and CRCs
            // (payloads are read straight into the reader's buffer).
            // Regular files only: a FIFO or device is refused before anything blocks.
            stream = SafeFile.OpenRead(warmupFilePath, "the warmup file");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WarmupReplayException(WarmupFailureKind.Io, $"cannot open the warmup file ({WarmupFile.StripPath(ex.Message, warmupFilePath)}).", warmupFilePath,
                innerException: ex);
        }

        WarmupReport report;
        await using (stream.ConfigureAwait(false))
        {
            report = await ReplayAsync(sessionsBySignature, stream, warmupFilePath, options, cancellationToken).ConfigureAwait(false);
        }

        options.Profiler?.ReplayEnded();
        return report;
    }

    /// <summary>Replays the records of <paramref name="warmupFile"/> on several sessions selected by signature name.</summary>
    public static Task<WarmupReport> RunAsync(IReadOnlyDictionary<string, InferenceSession> sessionsBySignature, Stream warmupFile,
        WarmupReplayOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionsBySignature);
        ArgumentNullException.ThrowIfNull(warmupFile);
        options ??= new WarmupReplayOptions();
        options.Validate();
        return ReplayAsync(sessionsBySignature, warmupFile, StreamName, options, cancellationToken);
    }

    internal static IReadOnlyDictionary<string, InferenceSession> Single(InferenceSession session) =>
        new Dictionary<string, InferenceSession>(StringComparer.Ordinal) { [TfServing.DefaultSignatureName] = session };

    private static async Task<WarmupReport> ReplayAsync(IReadOnlyDictionary<string, InferenceSession> sessions, Stream stream, string source,
        WarmupReplayOptions options, CancellationToken cancellationToken)
    {
        if (sessions.Count == 0)
        {
            throw new ArgumentException("Register at least one session.", nameof(sessions));
        }

        var model = options.ModelName ?? source;
        var logger = options.Logger ?? NullLogger.Instance;
        using var activity = WarmupTelemetry.Source.StartActivity(WarmupTelemetry.ReplayActivityName);
        activity?.SetTag("warmup.model", model);
        activity?.SetTag("warmup.file", source);
        activity?.SetTag("warmup.iterations", options.Iterations);
        activity?.SetTag("warmup.threads", options.Threads);
        Log.Starting(logger, source, options.Iterations, options.Threads, model);

        var started = Stopwatch.GetTimestamp();
        var replay = new Replay(sessions, source, model, options, logger, cancellationToken);
        try
        {
            await replay.RunAsync(stream).ConfigureAwait(false);
        }
        finally
        {
            replay.Dispose();
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var records = replay.Results.OrderBy(r => r.Index).ToArray();
        var status = cancellationToken.IsCancellationRequested ? "cancelled"
            : replay.Failure is not null || records.Any(r => r.Status == WarmupRecordStatus.Failed) || replay.FileError is not null ? "failed"
            : "ok";
        (options.Instruments ?? WarmupInstruments.Shared).RecordLatency(model, status, elapsed.TotalMicroseconds);
        activity?.SetTag("warmup.records", records.Length);
        activity?.SetTag("warmup.status", status);

        if (cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (replay.Failure is { } failure)
        {
            activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
            Log.WarmupFailed(logger, source, failure.Message, failure);
            throw failure;
        }

        Log.Finished(logger, source, records.Length, (long)elapsed.TotalMicroseconds);
        var ratios = records.Select(r => r.LastToFirstRatio).Where(r => r is not null).ToArray();
        return new WarmupReport
        {
            Model = model,
            Source = source,
            Iterations = options.Iterations,
            Threads = options.Threads,
            Records = records,
            FileError = replay.FileError,
            Summary = new WarmupSummary
            {
                Records = records.Length,
                Replayed = records.Count(r => r.Status == WarmupRecordStatus.Ok),
                Failed = records.Count(r => r.Status == WarmupRecordStatus.Failed) + (replay.FileError is null ? 0 : 1),
                Skipped = records.Count(r => r.Status == WarmupRecordStatus.Skipped),
                Runs = replay.Runs,
                ElapsedMs = elapsed.TotalMilliseconds,
                MaxLastToFirstRatio = ratios.Length == 0 ? null : ratios.Max(),
            },
        };
    }

    /// <summary>The state of one replay: a reader feeding up to Threads records at a time to the thread pool.</summary>
    private sealed class Replay : IDisposable
    {
        private readonly IReadOnlyDictionary<string, InferenceSession> _sessions;
        private readonly string _source;
        private readonly string _model;
        private readonly WarmupReplayOptions _options;
        private readonly WarmupInstruments _instruments;
        private readonly ILogger _logger;
        private readonly CancellationTokenSource _stop;
        private readonly List<WarmupRecordResult> _results = [];
        private int _runs;
        private bool _endOfFile;

        public Replay(IReadOnlyDictionary<string, InferenceSession> sessions, string source, string model, WarmupReplayOptions options, ILogger logger,
            CancellationToken cancellationToken)
        {
            _sessions = sessions;
            _source = source;
            _model = model;
            _options = options;
            _instruments = options.Instruments ?? WarmupInstruments.Shared;
            _logger = logger;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        }

        public WarmupReplayException? Failure { get; private set; }

        public string? FileError { get; private set; }

        public int Runs => Volatile.Read(ref _runs);

        public IReadOnlyList<WarmupRecordResult> Results
        {
            get
            {
                lock (_results)
                {
                    return _results.ToArray();
                }
            }
        }

        // TF Serving's design: num_model_warmup_threads workers sharing one reader. The workers are dedicated threads,
        // created once per replay: ONNX Runtime's Run blocks, and a warmup must not starve the host's thread pool (nor
        // the timers and continuations that cancel it). Each worker holds one record at a time. A record is read whole
        // into the reader's reused buffer and parsed from it: measured faster than parsing while the bytes stream in
        // (one read instead of one per window), for one record-sized buffer per replay.
        public async Task RunAsync(Stream stream)
        {
            using var reader = new TfRecordReader(stream, _source, leaveOpen: true);
            var workers = new Task[_options.Threads];
            for (var i = 0; i < workers.Length; i++)
            {
                workers[i] = Task.Factory.StartNew(() => Work(reader), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            await Task.WhenAll(workers).ConfigureAwait(false);
        }

        private void Work(TfRecordReader reader)
        {
            var profiler = _options.Profiler;
            profiler?.StageStarted(WarmupReplayStage.Worker);
            try
            {
                Work(reader, profiler);
            }
            finally
            {
                profiler?.StageEnded(WarmupReplayStage.Worker);
            }
        }

        private void Work(TfRecordReader reader, IWarmupReplayProfiler? profiler)
        {
            while (!_stop.IsCancellationRequested)
            {
                long index, offset;
                PredictionLog? log;
                profiler?.StageStarted(WarmupReplayStage.Read);
                lock (reader)
                {
                    if (_stop.IsCancellationRequested || _endOfFile)
                    {
                        return;
                    }

                    try
                    {
                        if (!reader.MoveNext())
                        {
                            _endOfFile = true;
                            return;
                        }
                    }
                    catch (WarmupFormatException ex)
                    {
                        // Corrupt framing ends the file: nothing after it can be located.
                        _endOfFile = true;
                        FileFailed(WarmupReplayException.FromFormat(ex.WithLocation(_source, null, null)));
                        return;
                    }

                    var entry = reader.Current;
                    (index, offset) = (entry.Index, entry.Offset);
                    if (_options.MaxRecords is { } max && index >= max)
                    {
                        _endOfFile = true;
                        FileFailed(new WarmupReplayException(WarmupFailureKind.TooManyRecords,
                            $"Number of warmup records exceeds the maximum ({max}). TF Serving fails the load above {TfServing.MaxRecords}; remove records.",
                            _source, index, offset));
                        return;
                    }

                    try
                    {
                        // Parsed under the lock: the entry's bytes belong to the reader until its next MoveNext.
                        log = WarmupFile.ParseRecord(entry.Data.Span, index, offset, _source);
                    }
                    catch (WarmupFormatException ex)
                    {
                        log = null;
                        RecordFailed(index, offset, "unknown", WarmupReplayException.FromFormat(ex));
                    }

                    profiler?.StageEnded(WarmupReplayStage.Read);
                }

                if (log is not null)
                {
                    ProcessOne(index, offset, log);
                }
            }
        }

        private void ProcessOne(long index, long offset, PredictionLog log)
        {
            var logType = TfServing.LogTypeName(log.LogTypeCase);
            try
            {
                var result = Process(index, offset, log, logType);
                Add(result);
                _instruments.RecordRead(_model, result.Status == WarmupRecordStatus.Ok ? "ok" : "skipped");
            }
            catch (WarmupReplayException ex)
            {
                RecordFailed(index, offset, logType, ex);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Stopped by a sibling's failure or by the caller.
            }
        }

        private WarmupRecordResult Process(long index, long offset, PredictionLog log, string logType)
        {
            if (TfServing.GetSupport(log.LogTypeCase) == LogTypeSupport.SilentlySkipped)
            {
                // TF Serving counts a record without log type and runs nothing.
                return new WarmupRecordResult { Index = index, Offset = offset, LogType = logType, Status = WarmupRecordStatus.Skipped };
            }

            var profiler = _options.Profiler;
            profiler?.StageStarted(WarmupReplayStage.Map);
            PreparedRecord prepared;
            try
            {
                prepared = RequestMapper.Prepare(log, _sessions, _options);
            }
            catch (WarmupReplayException ex)
            {
                throw ex.WithLocation(_source, index, offset);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Anything the checks did not foresee (a native allocation failure, say) still fails this record only.
                throw new WarmupReplayException(WarmupFailureKind.InvalidRequest, $"the record cannot be prepared for the session: {ex.Message}",
                    _source, index, offset, ex);
            }

            profiler?.StageEnded(WarmupReplayStage.Map);
            try
            {
                var iterations = Math.Max(0, _options.Iterations);
                var latencies = new double[iterations];
                using var runOptions = new RunOptions();
                using var recordStop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                if (_options.RecordTimeout is { } timeout && timeout != Timeout.InfiniteTimeSpan)
                {
                    recordStop.CancelAfter(timeout);
                }

                // ONNX Runtime checks the terminate flag between kernels, so a run in flight stops promptly.
                using var registration = recordStop.Token.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
                var recordStarted = Stopwatch.GetTimestamp();
                profiler?.StageStarted(WarmupReplayStage.Run);
                for (var i = 0; i < iterations; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    foreach (var run in prepared.Runs)
                    {
                        // The elapsed-time check does not depend on the timer firing (a starved thread pool delays it).
                        if (recordStop.IsCancellationRequested || TimedOut(recordStarted))
                        {
                            throw Stopped(index, offset);
                        }

                        try
                        {
                            run.Run(runOptions, _options.UseIoBinding);
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException)
                        {
                            if (recordStop.IsCancellationRequested)
                            {
                                throw Stopped(index, offset);
                            }

                            throw new WarmupReplayException(WarmupFailureKind.RunFailed,
                                $"ONNX Runtime failed to run signature \"{run.Signature}\" with {string.Join(", ", run.Shapes.Select(s => s.ToString()))}: {ex.Message}",
                                _source, index, offset, ex);
                        }

                        Interlocked.Increment(ref _runs);
                    }

                    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }

                profiler?.StageEnded(WarmupReplayStage.Run);
                return new WarmupRecordResult
                {
                    Index = index,
                    Offset = offset,
                    LogType = logType,
                    Signatures = prepared.Signatures,
                    Inputs = prepared.Shapes,
                    RunShapes = prepared.Runs.Select(r => r.RequestShape).ToArray(),
                    IterationMs = latencies,
                    Status = iterations == 0 ? WarmupRecordStatus.Skipped : WarmupRecordStatus.Ok,
                };
            }
            finally
            {
                profiler?.StageStarted(WarmupReplayStage.Map);
                prepared.Dispose();
                profiler?.StageEnded(WarmupReplayStage.Map);
            }
        }

        private bool TimedOut(long recordStarted) =>
            _options.RecordTimeout is { } timeout && timeout != Timeout.InfiniteTimeSpan && Stopwatch.GetElapsedTime(recordStarted) > timeout;

        private Exception Stopped(long index, long offset) =>
            _stop.IsCancellationRequested
                ? new OperationCanceledException(_stop.Token)
                : new WarmupReplayException(WarmupFailureKind.Timeout,
                    $"the record took longer than RecordTimeout ({_options.RecordTimeout!.Value.TotalMilliseconds:F0} ms) and its run was terminated. " +
                    "Raise RecordTimeout, or check the model and the record's shapes.", _source, index, offset);

        private void RecordFailed(long index, long offset, string logType, WarmupReplayException error)
        {
            error = error.WithLocation(_source, index, offset);
            Add(new WarmupRecordResult
            {
                Index = index, Offset = offset, LogType = logType, Status = WarmupRecordStatus.Failed, Error = error.Message, FailureKind = error.Kind,
            });
            _instruments.RecordRead(_model, "failed");
            Fail(error);
        }

        private void FileFailed(WarmupReplayException error)
        {
            FileError = error.Message;
            Fail(error);
        }

        private void Fail(WarmupReplayException error)
        {
            if (_options.FailurePolicy == WarmupFailurePolicy.LogAndContinue)
            {
                Log.RecordFailed(_logger, error.Message, error);
                return;
            }

            lock (_results)
            {
                Failure ??= error;
            }

            _stop.Cancel();
        }

        private void Add(WarmupRecordResult result)
        {
            lock (_results)
            {
                _results.Add(result);
            }
        }

        public void Dispose()
        {
            _stop.Dispose();
        }
    }
}
