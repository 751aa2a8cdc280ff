using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Tensors;
using Warmup.Testing;

namespace Warmup.Runtime.Tests;

[Collection(TimingCollection.Name)]
public sealed class ReplayTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static PredictionLog Good(int batch = 1) => Records.Predict(("x", Records.Floats(batch, 4)));

    private static PredictionLog BadDtype() => Records.Predict(("x", TensorProtoConverter.FromArray(new int[4], 1, 4)));

    [Fact]
    public async Task Missing_file_logs_information_and_is_not_an_error()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var logger = new CapturingLogger();
        var path = _dir.File("absent/tf_serving_warmup_requests");
        var report = await OnnxWarmup.RunAsync(session, path, new WarmupReplayOptions { Logger = logger });

        Assert.False(report.FileFound);
        Assert.Equal(0, report.Summary.Records);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal($"No warmup data file found at {path}", entry.Message);
    }

    [Fact]
    public async Task A_directory_is_not_a_warmup_file()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() => OnnxWarmup.RunAsync(session, _dir.Path));
        Assert.Equal(WarmupFailureKind.Io, ex.Kind);
        Assert.Contains("is a directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_and_finish_are_logged_like_TF_Serving()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var logger = new CapturingLogger();
        var path = Records.Write(_dir.File("warmup"), Good(), Good(2));
        await OnnxWarmup.RunAsync(session, path, new WarmupReplayOptions { Logger = logger });

        var messages = logger.Entries.Select(e => e.Message).ToArray();
        Assert.StartsWith($"Starting to read warmup data for model at {path} with model-warmup-options num_request_iterations: 2", messages[0], StringComparison.Ordinal);
        Assert.Matches($@"^Finished reading warmup data for model at {System.Text.RegularExpressions.Regex.Escape(path)}\. Number of warmup records read: 2\. Elapsed time \(microseconds\): \d+\.$", messages[^1]);
    }

    [Fact]
    public async Task Corrupt_framing_fails_the_load_naming_file_and_offset_or_ends_reading_under_continue()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var path = Records.Write(_dir.File("warmup"), Good(), Good(2), Good(3));
        var bytes = await File.ReadAllBytesAsync(path);
        var second = (int)WarmupFile.Read(path).ElementAt(1).Offset;
        bytes[second + 9] ^= 0xFF; // the second record's header CRC
        await File.WriteAllBytesAsync(path, bytes);

        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() => OnnxWarmup.RunAsync(session, path));
        Assert.Equal(WarmupFailureKind.Format, ex.Kind);
        Assert.Equal(WarmupErrorKind.HeaderCrc, ex.FormatKind);
        Assert.Equal(1, ex.RecordIndex);
        Assert.StartsWith(path + ": record 1 at byte " + second, ex.Message, StringComparison.Ordinal);

        var report = await OnnxWarmup.RunAsync(session, path, new WarmupReplayOptions { FailurePolicy = WarmupFailurePolicy.LogAndContinue });
        Assert.Equal(1, report.Summary.Replayed);
        Assert.Equal(1, report.Summary.Failed);
        Assert.Contains("record 1", report.FileError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unparsable_record_fails_the_load_or_is_skipped_under_continue()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var path = _dir.File("warmup");
        using (var stream = File.Create(path))
        using (var writer = new Format.TfRecord.TfRecordWriter(stream))
        {
            writer.Write(DeterministicProto.Serialize(Good()));
            writer.Write([0xFF, 0xFF, 0xFF]);
            writer.Write(DeterministicProto.Serialize(Good(2)));
        }

        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() => OnnxWarmup.RunAsync(session, path));
        Assert.Equal(WarmupErrorKind.ParseError, ex.FormatKind);
        Assert.Equal(1, ex.RecordIndex);

        var report = await OnnxWarmup.RunAsync(session, path, new WarmupReplayOptions { FailurePolicy = WarmupFailurePolicy.LogAndContinue });
        Assert.Equal([WarmupRecordStatus.Ok, WarmupRecordStatus.Failed, WarmupRecordStatus.Ok], report.Records.Select(r => r.Status));
    }

    [Fact]
    public async Task More_records_than_the_limit_fail_the_load()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var logs = Enumerable.Range(0, TfServing.MaxRecords + 1).Select(_ => Good()).ToArray();
        var path = Records.Write(_dir.File("warmup"), logs);

        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() => OnnxWarmup.RunAsync(session, path, new WarmupReplayOptions { Iterations = 0 }));
        Assert.Equal(WarmupFailureKind.TooManyRecords, ex.Kind);
        Assert.Equal(TfServing.MaxRecords, ex.RecordIndex);
        Assert.Contains("Number of warmup records exceeds the maximum (1000)", ex.Message, StringComparison.Ordinal);

        // Exactly the limit is fine, and a null limit reads everything.
        var report = await OnnxWarmup.RunAsync(session, Records.Stream(logs), new WarmupReplayOptions { Iterations = 0, MaxRecords = null });
        Assert.Equal(TfServing.MaxRecords + 1, report.Summary.Records);
        report = await OnnxWarmup.RunAsync(session, Records.Stream(logs[..TfServing.MaxRecords]), new WarmupReplayOptions { Iterations = 1 });
        Assert.Equal(TfServing.MaxRecords, report.Summary.Replayed);
    }

    [Fact]
    public async Task FailLoad_stops_at_the_first_bad_record_and_LogAndContinue_runs_the_rest()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var model = "fail-vs-continue-" + Guid.NewGuid();
        var read = new List<string>();
        using var listener = Listen(model, (name, status, _) =>
        {
            if (name == WarmupTelemetry.RecordsReadInstrument)
            {
                lock (read)
                {
                    read.Add(status);
                }
            }
        });
        var path = Records.Write(_dir.File("warmup"), Good(), BadDtype(), Good(3));

        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() => OnnxWarmup.RunAsync(session, path, new WarmupReplayOptions { ModelName = model }));
        Assert.Equal(1, ex.RecordIndex);
        Assert.Equal(["ok", "failed"], read); // record 2 was never run

        read.Clear();
        var logger = new CapturingLogger();
        var report = await OnnxWarmup.RunAsync(session, path,
            new WarmupReplayOptions { ModelName = model, FailurePolicy = WarmupFailurePolicy.LogAndContinue, Logger = logger });
        Assert.Equal([WarmupRecordStatus.Ok, WarmupRecordStatus.Failed, WarmupRecordStatus.Ok], report.Records.Select(r => r.Status));
        Assert.Equal(WarmupFailureKind.DTypeMismatch, report.Records[1].FailureKind);
        Assert.Contains("record 1 at byte", report.Records[1].Error, StringComparison.Ordinal);
        Assert.Equal(1, report.Summary.Failed);
        Assert.Equal(["ok", "failed", "ok"], read);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("DT_INT32", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Iterations_set_the_runs_per_record(int iterations)
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var report = await OnnxWarmup.RunAsync(session, Records.Stream(Good(), Good(2)), new WarmupReplayOptions { Iterations = iterations });
        Assert.Equal(2 * iterations, report.Summary.Runs);
        Assert.All(report.Records, r => Assert.Equal(iterations, r.IterationMs.Count));
        Assert.All(report.Records, r => Assert.Equal(iterations == 0 ? WarmupRecordStatus.Skipped : WarmupRecordStatus.Ok, r.Status));
        Assert.All(report.Records, r => Assert.Equal(iterations >= 2, r.LastToFirstRatio is not null));
    }

    [Fact]
    public async Task Iterations_zero_is_a_dry_run_that_still_checks_records()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        await Assert.ThrowsAsync<WarmupReplayException>(() => OnnxWarmup.RunAsync(session, Records.Stream(BadDtype()), new WarmupReplayOptions { Iterations = 0 }));
    }

    [Fact]
    public async Task Cancellation_terminates_the_run_in_flight_within_a_second()
    {
        using var session = Sessions.Create(Sessions.SlowConv());
        var logs = Enumerable.Range(0, 20).Select(_ => Records.Predict(("x", Records.Floats(1, 3, 384, 384)))).ToArray();
        using var cts = new CancellationTokenSource();
        var replay = OnnxWarmup.RunAsync(session, Records.Stream(logs), new WarmupReplayOptions { Iterations = 5 }, cts.Token);
        // A blocking wait: an awaited delay's continuation can queue behind the replay's blocked thread-pool thread
        // on a busy 2-core machine, which would measure the scheduler instead of the cancellation.
        Thread.Sleep(300);
        Assert.False(replay.IsCompleted);
        var stopwatch = Stopwatch.StartNew();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => replay);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"cancellation took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task A_record_slower_than_the_timeout_is_terminated_and_reported()
    {
        using var session = Sessions.Create(Sessions.SlowConv());
        var options = new WarmupReplayOptions { RecordTimeout = TimeSpan.FromMilliseconds(20), Iterations = 50 };
        var stopwatch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() =>
            OnnxWarmup.RunAsync(session, Records.Stream(Records.Predict(("x", Records.Floats(1, 3, 384, 384)))), options));
        Assert.Equal(WarmupFailureKind.Timeout, ex.Kind);
        Assert.Equal(0, ex.RecordIndex);
        Assert.Contains("RecordTimeout (20 ms)", ex.Problem, StringComparison.Ordinal);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Parallel_replay_runs_every_record_and_reports_in_record_order()
    {
        using var session = Sessions.Create(TestModels.ConvRelu(channels: 8));
        var logs = Enumerable.Range(1, 8).Select(i => Records.Predict(("x", Records.Floats(1, 3, 16 + i, 16)))).ToArray();
        var model = "parallel-" + Guid.NewGuid();
        var report = await OnnxWarmup.RunAsync(session, Records.Stream(logs), new WarmupReplayOptions { Threads = 2, ModelName = model });

        Assert.Equal(2, report.Threads);
        Assert.Equal(8, report.Summary.Replayed);
        Assert.Equal(16, report.Summary.Runs);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), report.Records.Select(r => r.Index));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => 16L + i), report.Records.Select(r => r.Inputs.Single().Shape[2]));
    }

    [Fact]
    public async Task Parallel_replay_under_FailLoad_raises_the_failure()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var logs = new[] { Good(), Good(2), BadDtype(), Good(4), Good(5), Good(6) };
        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() => OnnxWarmup.RunAsync(session, Records.Stream(logs), new WarmupReplayOptions { Threads = 3 }));
        Assert.Equal(2, ex.RecordIndex);
        Assert.Equal("<stream>", ex.FilePath);
    }

    [Fact]
    public async Task Metrics_and_an_activity_are_recorded_per_warmup()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var model = "metrics-" + Guid.NewGuid();
        var measurements = new List<(string Name, string Status, double Value)>();
        using var listener = Listen(model, (name, status, value) =>
        {
            lock (measurements)
            {
                measurements.Add((name, status, value));
            }
        });
        var activities = new List<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == WarmupTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (Equals(a.GetTagItem("warmup.model"), model))
                {
                    lock (activities)
                    {
                        activities.Add(a);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(activityListener);

        await OnnxWarmup.RunAsync(session, Records.Stream(Good(), new PredictionLog(), Good(2)),
            new WarmupReplayOptions { ModelName = model, FailurePolicy = WarmupFailurePolicy.LogAndContinue });

        Assert.Equal(["ok", "ok", "skipped"], measurements.Where(m => m.Name == WarmupTelemetry.RecordsReadInstrument).Select(m => m.Status).Order());
        Assert.All(measurements.Where(m => m.Name == WarmupTelemetry.RecordsReadInstrument), m => Assert.Equal(1, m.Value));
        var latency = Assert.Single(measurements, m => m.Name == WarmupTelemetry.LatencyInstrument);
        Assert.Equal("ok", latency.Status);
        Assert.True(latency.Value > 0);

        var activity = Assert.Single(activities);
        Assert.Equal("warmup", activity.OperationName);
        Assert.Equal(3, activity.GetTagItem("warmup.records"));
        Assert.Equal("ok", activity.GetTagItem("warmup.status"));
    }

    [Fact]
    public async Task Report_round_trips_through_source_generated_json()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var report = await OnnxWarmup.RunAsync(session, Records.Stream(Good(), BadDtype()),
            new WarmupReplayOptions { ModelName = "json", FailurePolicy = WarmupFailurePolicy.LogAndContinue });
        var json = report.ToJson();

        Assert.Contains("\"lastToFirstRatio\":", json, StringComparison.Ordinal);
        Assert.Contains("\"status\": \"Failed\"", json, StringComparison.Ordinal);
        Assert.Contains("\"failureKind\": \"DTypeMismatch\"", json, StringComparison.Ordinal);
        Assert.Contains("\"iterationMs\": [", json, StringComparison.Ordinal);
        var back = WarmupReport.FromJson(json)!;
        Assert.Equal(report.Summary, back.Summary);
        Assert.Equal(report.Records[0].IterationMs, back.Records[0].IterationMs);
        Assert.Equal(report.Records[1].Error, back.Records[1].Error);
        Assert.Equal(report.Records[0].Inputs[0].Shape, back.Records[0].Inputs[0].Shape);
    }

    [Fact]
    public async Task Bad_options_are_refused()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => OnnxWarmup.RunAsync(session, Records.Stream(Good()), new WarmupReplayOptions { Threads = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            OnnxWarmup.RunAsync(session, Records.Stream(Good()), new WarmupReplayOptions { RecordTimeout = TimeSpan.Zero }));
    }

    internal static MeterListener Listen(string model, Action<string, string, double> onMeasurement)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == WarmupTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Handle(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? modelTag = null, status = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "model")
                {
                    modelTag = tag.Value as string;
                }
                else if (tag.Key == "status")
                {
                    status = tag.Value as string;
                }
            }

            if (modelTag == model)
            {
                onMeasurement(instrument.Name, status!, value);
            }
        }

        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Handle(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Handle(i, v, t));
        listener.Start();
        return listener;
    }
}

/// <summary>The replay's guarantees against hostile records and paths (issue 12), through the library API.</summary>
public sealed class HostileReplayTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_fill_rule_record_beyond_the_budget_fails_before_anything_is_allocated()
    {
        using var session = Sessions.Create(TestModels.MatMulAdd());
        var huge = new Warmup.Format.Protos.TensorFlow.TensorProto
        {
            Dtype = Warmup.Format.Protos.TensorFlow.DataType.DtFloat, TensorShape = TensorShapes.ToProto([67108864, 4]), FloatVal = { 1f },
        };
        var path = Records.Write(_dir.File("huge"), Records.Predict(("x", huge)), Records.Predict(("x", Records.Floats(1, 4))));

        var before = GC.GetTotalAllocatedBytes();
        var report = await OnnxWarmup.RunAsync(session, path, new WarmupReplayOptions { FailurePolicy = WarmupFailurePolicy.LogAndContinue });
        var allocated = GC.GetTotalAllocatedBytes() - before;

        Assert.Equal([WarmupRecordStatus.Failed, WarmupRecordStatus.Ok], report.Records.Select(r => r.Status));
        Assert.Contains("above the per-record budget of 256 MiB", report.Records[0].Error, StringComparison.Ordinal);
        Assert.True(allocated < 128L << 20, $"{allocated} bytes allocated");

        var strict = await Assert.ThrowsAsync<WarmupReplayException>(() => OnnxWarmup.RunAsync(session, path,
            new WarmupReplayOptions { TensorLimits = new TensorLimits { MaxRecordBytes = 8 } }));
        Assert.Equal(WarmupFailureKind.InvalidTensor, strict.Kind);
        Assert.Equal(0, strict.RecordIndex);
        Assert.Equal(path, strict.FilePath);
    }

    [SkippableFact]
    public async Task A_fifo_is_refused_as_warmup_file_and_as_model()
    {
        var fifo = _dir.File("fifo");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { RedirectStandardError = true }))
        {
            mkfifo?.WaitForExit();
            Skip.If(mkfifo is null || mkfifo.ExitCode != 0, "mkfifo is not available here");
        }

        using var session = Sessions.Create(TestModels.MatMulAdd());
        var replay = OnnxWarmup.RunAsync(session, fifo);
        Assert.True(await Task.WhenAny(replay, Task.Delay(20_000)) == replay, "the replay hung on a FIFO");
        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() => replay);
        Assert.Equal(WarmupFailureKind.Io, ex.Kind);
        Assert.Contains("FIFO", ex.Message, StringComparison.Ordinal);

        var model = Task.Run(() => ExecutionProviders.CreateSession(fifo, ExecutionProvider.Cpu));
        Assert.True(await Task.WhenAny(model, Task.Delay(20_000)) == model, "session creation hung on a FIFO");
        await Assert.ThrowsAsync<IOException>(() => model);
    }
}
