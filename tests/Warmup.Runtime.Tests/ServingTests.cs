using System.Diagnostics.Metrics;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Runtime.Hosting;
using Warmup.Testing;

namespace Warmup.Runtime.Tests;

/// <summary>The serving API on real hosts and real ONNX Runtime sessions: coverage, the recorder, and their failure modes.</summary>
[Collection(TimingCollection.Name)] // the cancellation test compares wall-clock times
public sealed class ServingTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string SaveModel(string name, OnnxModelBuilder model, params PredictionLog[] warmup) =>
        Sessions.SaveInLayout(_dir.Path, name, model, warmup);

    private static async Task<IHost> StartHost(string name, string modelPath, Action<WarmedOnnxModelOptions>? configure = null, CapturingLogger? logger = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (logger is not null)
        {
            builder.Logging.AddProvider(logger);
        }

        builder.Services.AddHealthChecks().AddWarmupHealthCheck();
        builder.Services.AddWarmedOnnxModel(name, o =>
        {
            o.ModelPath = modelPath;
            o.ExecutionProvider = ExecutionProvider.Cpu;
            o.ConfigureSessionOptions = s => s.IntraOpNumThreads = 1;
            configure?.Invoke(o);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static Action<WarmedOnnxModelOptions> Recording(string output, Action<WarmupRecordingOptions>? configure = null) => o =>
    {
        o.Recording.Enabled = true;
        o.Recording.OutputPath = output;
        configure?.Invoke(o.Recording);
    };

    private static WarmedOnnxModel Model(IHost host, string name) => host.Services.GetRequiredKeyedService<WarmedOnnxModel>(name);

    private static float[] Output(IDisposableReadOnlyCollection<OrtValue> outputs) => outputs[0].GetTensorDataAsSpan<float>().ToArray();

    private static float[] Serve(WarmedOnnxModel model, int batch, float value = 1f)
    {
        using var x = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(value, batch).ToArray(), [batch, 1]);
        using var outputs = model.Run(new Dictionary<string, OrtValue> { ["x"] = x });
        return Output(outputs);
    }

    private static PredictionLog Batch(int batch) => Records.Predict(("x", Records.Floats(batch, 1)));

    private static MeterListener CountUncovered(string model, Action<string, long> onRequest)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == WarmupTelemetry.Name && instrument.Name == WarmupTelemetry.UncoveredRequestsInstrument)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? modelTag = null, signature = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "model")
                {
                    modelTag = tag.Value as string;
                }
                else if (tag.Key == "signature")
                {
                    signature = tag.Value as string;
                }
            }

            if (modelTag == model)
            {
                onRequest(signature!, value);
            }
        });
        listener.Start();
        return listener;
    }

    [Fact]
    public async Task Coverage_counts_and_logs_exactly_the_unwarmed_shapes_under_concurrent_requests()
    {
        const string name = "cov_concurrent";
        var path = SaveModel(name, TestModels.HalfPlusTwo(), Batch(1), Batch(8));
        var uncovered = 0L;
        var signatures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = CountUncovered(name, (signature, value) =>
        {
            Interlocked.Add(ref uncovered, value);
            signatures.Add(signature);
        });
        var logger = new CapturingLogger();
        using var host = await StartHost(name, path, logger: logger);
        var model = Model(host, name);

        // 4 threads × 50 rounds of batches 1, 8 (warmed), 3 and 5 (not warmed): 800 requests, 400 uncovered.
        int[] batches = [1, 8, 3, 5];
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var round = 0; round < 50; round++)
            {
                foreach (var batch in batches)
                {
                    Assert.Equal(2.5f, Serve(model, batch)[0]);
                }
            }
        })));

        var coverage = model.GetCoverage()!;
        Assert.Equal(800, coverage.Requests);
        Assert.Equal(400, coverage.CoveredRequests);
        Assert.Equal(400, coverage.UncoveredRequests);
        Assert.Equal(0.5, coverage.CoveredFraction);
        Assert.Equal(400, Interlocked.Read(ref uncovered));
        Assert.All(signatures, s => Assert.Equal("serving_default", s));
        Assert.Equal(["serving_default x:DT_FLOAT[1,1]", "serving_default x:DT_FLOAT[8,1]"], coverage.WarmedShapes.Select(s => s.ToString()));
        Assert.Equal(4, coverage.ServedShapes.Count);
        Assert.All(coverage.ServedShapes, s => Assert.Equal(200, s.Count));
        Assert.Equal(["[1,1]", "[3,1]", "[5,1]", "[8,1]"],
            coverage.ServedShapes.Select(s => TensorShapes.Format(s.Shape.Inputs[0].Shape.ToArray())).Order(StringComparer.Ordinal));
        Assert.Equal([true, false, false, true], coverage.ServedShapes.OrderBy(s => s.Shape.Inputs[0].Shape[0]).Select(s => s.Warmed));

        // Logged once per new unwarmed shape, at Information, with the shape and the hint.
        var logged = logger.Entries.Where(e => e.Id.Id == 140).ToArray();
        Assert.Equal(2, logged.Length);
        Assert.All(logged, e => Assert.Equal(LogLevel.Information, e.Level));
        Assert.Single(logged, e => e.Message.Contains("x:DT_FLOAT[3,1]", StringComparison.Ordinal));
        Assert.Single(logged, e => e.Message.Contains("x:DT_FLOAT[5,1]", StringComparison.Ordinal));
        Assert.All(logged, e => Assert.Contains("warmup select", e.Message, StringComparison.Ordinal));

        // The readiness check reports the covered fraction.
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(0.5, health.Entries["warmup"].Data[name + ".coveredFraction"]);
        Assert.Equal(400L, health.Entries["warmup"].Data[name + ".uncoveredRequests"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task Every_serving_overload_sees_the_request_shape()
    {
        const string name = "cov_overloads";
        var path = SaveModel(name, TestModels.HalfPlusTwo(), Batch(2));
        using var host = await StartHost(name, path);
        var model = Model(host, name);

        using (var x = OrtValue.CreateTensorValueFromMemory(new float[] { 2, 4 }, [2, 1]))
        {
            using var byList = model.Run(["x"], [x], ["y"]);
            Assert.Equal([3f, 4f], Output(byList));
            using var bound = model.RunWithBinding(new Dictionary<string, OrtValue> { ["x"] = x });
            Assert.Equal([3f, 4f], Output(bound));
            using var async = await model.RunAsync(new Dictionary<string, OrtValue> { ["x"] = x }, cancellationToken: CancellationToken.None);
            Assert.Equal([3f, 4f], Output(async));
        }

        using (var named = model.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(new float[] { 2, 4, 6 }, [3, 1]))]))
        {
            Assert.Equal([3f, 4f, 5f], named[0].AsEnumerable<float>().ToArray());
        }

        // A predict request, as generated …Inputs types build it (ToPredictRequest), with TF's "x:0" naming.
        var request = new PredictRequest { Inputs = { ["x:0"] = TensorProtoConverter.FromArray(new float[] { 2, 4, 6, 8 }, 4, 1) } };
        using (var predicted = model.Run(request))
        {
            Assert.Equal([3f, 4f, 5f, 6f], Output(predicted));
        }

        using (var predictedAsync = await model.RunAsync(request, cancellationToken: new CancellationTokenSource().Token))
        {
            Assert.Equal([3f, 4f, 5f, 6f], Output(predictedAsync));
        }

        var coverage = model.GetCoverage()!;
        Assert.Equal(6, coverage.Requests);
        Assert.Equal(3, coverage.CoveredRequests);
        Assert.Equal([3L, 1L, 2L], coverage.ServedShapes.OrderBy(s => s.Shape.Inputs[0].Shape[0]).Select(s => s.Count));
        Assert.All(coverage.ServedShapes, s => Assert.Equal("x", s.Shape.Inputs[0].Name));
        Assert.Throws<KeyNotFoundException>(() => model.Run(new Dictionary<string, OrtValue>(), signature: "nope"));
        await host.StopAsync();
    }

    [Fact]
    public async Task Distinct_shapes_are_bounded_and_the_overflow_is_counted()
    {
        const string name = "cov_bounded";
        var path = SaveModel(name, TestModels.HalfPlusTwo(), Batch(1));
        var logger = new CapturingLogger();
        using var host = await StartHost(name, path, o => o.Coverage.MaxDistinctShapes = 2, logger);
        var model = Model(host, name);
        foreach (var batch in new[] { 1, 2, 3, 4, 1, 4 })
        {
            Serve(model, batch);
        }

        var coverage = model.GetCoverage()!;
        Assert.Equal(6, coverage.Requests);
        Assert.Equal(2, coverage.CoveredRequests);
        Assert.Equal(2, coverage.ServedShapes.Count);
        Assert.Equal(3, coverage.OverflowRequests);
        Assert.Single(logger.Entries, e => e.Id.Id == 141);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_recorded_file_is_valid_against_the_model_and_replays()
    {
        const string name = "rec_replay";
        var path = SaveModel(name, TestModels.HalfPlusTwo(), Batch(1));
        var output = _dir.File("recorded/requests");
        using var host = await StartHost(name, path, Recording(output, r =>
        {
            r.FlushInterval = TimeSpan.FromHours(1);
        }));
        var model = Model(host, name);
        foreach (var batch in new[] { 1, 2, 2, 3, 1, 3, 3 })
        {
            Serve(model, batch, value: batch * 10);
        }

        await host.StopAsync(); // shutdown flushes (the interval is an hour)

        var records = WarmupFile.Read(output).ToArray();
        Assert.Equal(3, records.Length); // one per distinct shape
        Assert.Equal([1L, 2L, 3L], records.Select(r => r.Log.PredictLog.Request.Inputs["x"].TensorShape.Dim[0].Size));
        var first = records[1].Log;
        Assert.Equal(name, first.LogMetadata.ModelSpec.Name);
        Assert.Equal("serving_default", first.LogMetadata.ModelSpec.SignatureName);
        Assert.Equal(1.0, first.LogMetadata.SamplingConfig.SamplingRate);
        Assert.InRange(first.LogMetadata.TimestampSecs, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal([20f, 20f], TensorProtoConverter.ToArray<float>(first.PredictLog.Request.Inputs["x"]));

        // What `warmup validate --model` checks, and a real replay.
        var signatures = Warmup.Format.Signatures.ModelSignatureReader.Read(path, name);
        var report = WarmupValidator.Validate(output, r => Warmup.Format.Signatures.SignatureChecker.Check(r.Log, signatures.File));
        Assert.True(report.IsValid, string.Join("; ", report.Issues.Select(i => i.Message)));
        using var session = Sessions.Create(TestModels.HalfPlusTwo());
        var replay = await OnnxWarmup.RunAsync(session, output);
        Assert.Equal(3, replay.Summary.Replayed);
        Assert.Equal(0, replay.Summary.Failed);
    }

    [Fact]
    public async Task Every_dtype_is_recorded_as_it_came_strings_and_bytes_included()
    {
        const string name = "rec_dtypes";
        var path = SaveModel(name, TestModels.StringInput());
        var output = _dir.File("strings.tfrecord");
        using var host = await StartHost(name, path, Recording(output, r =>
        {
            r.Policy = WarmupRecordingPolicy.EveryNth;
            r.EveryNth = 1;
        }));
        var model = Model(host, name);
        using (var text = OrtValue.CreateFromStringTensor(new DenseTensor<string>(new[] { "héllo", "wörld" }, [2])))
        using (model.Run(new Dictionary<string, OrtValue> { ["text"] = text }))
        {
        }

        byte[] binary = [0xff, 0x00, 0xfe, 0x80];
        var request = new PredictRequest { Inputs = { ["text"] = TensorProtoConverter.FromStrings(new[] { binary }, 1) } };
        using (model.Run(request))
        {
        }

        await host.StopAsync();
        var records = WarmupFile.Read(output).Select(r => r.Log.PredictLog.Request.Inputs["text"]).ToArray();
        Assert.Equal(2, records.Length);
        Assert.Equal(["héllo", "wörld"], records[0].StringVal.Select(s => s.ToStringUtf8()));
        Assert.Equal(binary, records[1].StringVal[0].ToByteArray());
    }

    [Theory]
    [InlineData(OnnxElementType.Int64)]
    [InlineData(OnnxElementType.Bool)]
    [InlineData(OnnxElementType.Float16)]
    [InlineData(OnnxElementType.UInt8)]
    [InlineData(OnnxElementType.Double)]
    public async Task Numeric_dtypes_are_recorded_byte_for_byte(OnnxElementType type)
    {
        var name = "rec_" + type.ToString().ToLowerInvariant();
        var path = SaveModel(name, TestModels.Identity(type));
        var output = _dir.File(name + ".tfrecord");
        using var host = await StartHost(name, path, Recording(output));
        var model = Model(host, name);
        var dtype = DTypes.FromOnnx(type)!;
        var bytes = Enumerable.Range(0, 3 * dtype.ElementSize).Select(i => (byte)(type == OnnxElementType.Bool ? i % 2 : i * 7 % 251)).ToArray();
        var pin = System.Runtime.InteropServices.GCHandle.Alloc(bytes, System.Runtime.InteropServices.GCHandleType.Pinned);
        try
        {
            using var x = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, (TensorElementType)(int)type, [3], pin.AddrOfPinnedObject(), bytes.Length);
            using var outputs = model.Run(new Dictionary<string, OrtValue> { ["x"] = x });
        }
        finally
        {
            pin.Free();
        }

        await host.StopAsync();
        var tensor = Assert.Single(WarmupFile.Read(output)).Log.PredictLog.Request.Inputs["x"];
        Assert.Equal(dtype.DataType, tensor.Dtype);
        Assert.Equal(bytes, tensor.TensorContent.ToByteArray());
    }

    [Fact]
    public async Task A_burst_beyond_the_queue_is_dropped_and_counted_and_nothing_partial_is_written()
    {
        const string name = "rec_burst";
        var path = SaveModel(name, TestModels.HalfPlusTwo(), Batch(1));
        var output = _dir.File("burst/requests");
        using var host = await StartHost(name, path, Recording(output, r =>
        {
            r.Policy = WarmupRecordingPolicy.EveryNth;
            r.EveryNth = 1;
            r.QueueCapacity = 4;
            r.FlushInterval = TimeSpan.FromMilliseconds(20);
        }));
        var model = Model(host, name);
        var slowDisk = new TaskCompletionSource();
        model.Recorder!.HoldWriterUntil(slowDisk.Task);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 10; i++)
            {
                Serve(model, 1 + (i % 3));
            }
        })));

        var held = model.RecordingStatus!;
        Assert.Equal(36, held.DroppedQueueFull);
        Assert.Equal(0, held.Records);
        Assert.False(File.Exists(output)); // nothing written while the writer is held
        slowDisk.SetResult();
        await host.StopAsync();

        var status = model.RecordingStatus!;
        Assert.Equal(4, status.Records);
        Assert.Equal(4, status.RecordsWritten);
        Assert.Equal(36, status.Dropped);
        Assert.Equal(4, WarmupFile.Read(output).Count());
        Assert.True(WarmupValidator.Validate(output).IsValid);
        Assert.Equal(["requests"], Directory.GetFiles(Path.GetDirectoryName(output)!).Select(Path.GetFileName)); // no temp file left
    }

    [Fact]
    public async Task Limits_stop_recording_at_max_records_and_max_bytes()
    {
        const string name = "rec_limits";
        var path = SaveModel(name, TestModels.HalfPlusTwo());
        var output = _dir.File("limits.tfrecord");
        using var host = await StartHost(name, path, Recording(output, r =>
        {
            r.MaxRecords = 3;
        }));
        var model = Model(host, name);
        for (var batch = 1; batch <= 6; batch++)
        {
            Serve(model, batch);
        }

        await host.StopAsync();
        Assert.Equal(3, WarmupFile.Read(output).Count());

        var small = _dir.File("small.tfrecord");
        using var host2 = await StartHost(name, path, Recording(small, r =>
        {
            r.MaxBytes = 200;
        }));
        var model2 = Model(host2, name);
        Serve(model2, 1);   // ~ 60 bytes
        Serve(model2, 64);  // 256 bytes of floats: over the limit
        await host2.StopAsync();
        Assert.Single(WarmupFile.Read(small));
        Assert.Equal(1, model2.RecordingStatus!.DroppedOther);
        // A bad recording option fails the host's start, naming the model and the option.
        var bad = await Assert.ThrowsAsync<OptionsValidationException>(() => StartHost("bad", path, o =>
        {
            o.Recording.Enabled = true;
            o.Recording.OutputPath = output;
            o.Recording.MaxRecords = 1001;
        }));
        Assert.Equal("Model bad: Recording.MaxRecords is 1001; it must be 1 to 1000.", bad.Message);
    }

    [Fact]
    public async Task A_failing_disk_is_logged_and_never_thrown_into_a_request()
    {
        const string name = "rec_disk";
        var path = SaveModel(name, TestModels.HalfPlusTwo());
        // A path whose parent is a regular file cannot be created, even by root (who ignores a read-only mode).
        var blocker = _dir.File("not-a-directory");
        File.WriteAllText(blocker, "x");
        var readOnly = Directory.CreateDirectory(_dir.File("read-only")).FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        // Root ignores the mode; an immutable directory (chattr +i, ext4 and most Linux file systems) refuses root too.
        var readOnlyHolds = Environment.UserName != "root" || Chattr("+i", readOnly);
        try
        {
            await RecordInto(Path.Combine(blocker, "requests"));
            if (readOnlyHolds)
            {
                await RecordInto(Path.Combine(readOnly, "requests"));
            }
        }
        finally
        {
            if (Environment.UserName == "root")
            {
                Chattr("-i", readOnly);
            }
        }

        async Task RecordInto(string output)
        {
            var logger = new CapturingLogger();
            using var host = await StartHost(name, path, Recording(output, r =>
            {
                r.FlushInterval = TimeSpan.FromMilliseconds(10);
            }), logger);
            var model = Model(host, name);
            for (var i = 1; i <= 20; i++)
            {
                Assert.Equal(2.5f, Serve(model, 1 + (i % 4))[0]);
                await Task.Delay(2);
            }

            await model.FlushRecordingAsync();
            await host.StopAsync(); // does not throw either
            var status = model.RecordingStatus!;
            Assert.True(status.WriteFailures >= 1);
            Assert.NotNull(status.LastError);
            Assert.Equal(4, status.Records);
            Assert.Single(logger.Entries, e => e.Id.Id == 143 && e.Level == LogLevel.Warning);
            Assert.False(File.Exists(output));
        }
    }

    private static bool Chattr(string flag, string path)
    {
        try
        {
            using var chattr = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chattr", [flag, path])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            chattr.WaitForExit(10_000);
            return chattr.HasExited && chattr.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no chattr on this machine
        }
    }

    [Theory]
    [InlineData(WarmupRecordingPayload.Zeros)]
    [InlineData(WarmupRecordingPayload.SeededRandom)]
    public async Task Shapes_only_recording_synthesizes_the_values(WarmupRecordingPayload payload)
    {
        var name = "rec_" + payload.ToString().ToLowerInvariant();
        var path = SaveModel(name, TestModels.HalfPlusTwo());
        var output = _dir.File(name + ".tfrecord");
        using var host = await StartHost(name, path, Recording(output, r =>
        {
            r.Payload = payload;
        }));
        Serve(Model(host, name), 4, value: 42f);
        await host.StopAsync();
        var tensor = Assert.Single(WarmupFile.Read(output)).Log.PredictLog.Request.Inputs["x"];
        var values = TensorProtoConverter.ToArray<float>(tensor);
        Assert.Equal(4, values.Length);
        Assert.DoesNotContain(42f, values);
        Assert.All(values, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(payload == WarmupRecordingPayload.Zeros, values.All(v => v == 0));
    }
    [Fact]
    public async Task The_sample_rate_thins_recording_and_is_written_into_log_metadata()
    {
        const string name = "rec_sampled";
        var path = SaveModel(name, TestModels.HalfPlusTwo());
        var output = _dir.File("sampled.tfrecord");
        using var host = await StartHost(name, path, Recording(output, r =>
        {
            r.SampleRate = 0.5;
            r.Policy = WarmupRecordingPolicy.EveryNth;
            r.EveryNth = 1;
            r.QueueCapacity = 1000;
        }));
        var model = Model(host, name);
        for (var i = 0; i < 400; i++)
        {
            Serve(model, 1);
        }

        await host.StopAsync();
        var records = WarmupFile.Read(output).ToArray();
        Assert.InRange(records.Length, 120, 280); // binomial(400, 0.5): 8 standard deviations either side
        Assert.Equal(0, model.RecordingStatus!.Dropped);
        Assert.All(records, r => Assert.Equal(0.5, r.Log.LogMetadata.SamplingConfig.SamplingRate));
    }

    [Fact]
    public async Task RunAsync_cancellation_terminates_the_run_in_flight()
    {
        const string name = "serve_cancel";
        // Many short kernels: the terminate flag is checked between kernels, so a cancelled run stops within one layer.
        var path = SaveModel(name, TestModels.DeepConv());
        using var host = await StartHost(name, path, o => o.Coverage.Enabled = true);
        var model = Model(host, name);
        using var x = OrtValue.CreateTensorValueFromMemory(new float[3 * 320 * 320], [1, 3, 320, 320]);
        // Uncancelled runs first (a warm model's requests), timed; then one cancelled a quarter of the way in. The first runs
        // pay one-time costs, so the shortest of several is the whole run a cancelled one is compared with.
        var full = TimeSpan.MaxValue;
        const int uncancelled = 4;
        for (var i = 0; i < uncancelled; i++)
        {
            var timed = System.Diagnostics.Stopwatch.StartNew();
            using (await model.RunAsync(new Dictionary<string, OrtValue> { ["x"] = x }))
            {
            }

            full = timed.Elapsed < full ? timed.Elapsed : full;
        }

        // Cancelled from this thread (a timer's callback can be late on a loaded machine, after the run has ended).
        using var cancel = new CancellationTokenSource();
        var run = model.RunAsync(new Dictionary<string, OrtValue> { ["x"] = x }, cancellationToken: cancel.Token);
        Thread.Sleep(full / 4);
        Assert.False(run.IsCompleted);
        var started = System.Diagnostics.Stopwatch.StartNew();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(started.Elapsed < full, $"cancelling took {started.Elapsed}, a whole run {full}");
        Assert.Equal(uncancelled, model.GetCoverage()!.Requests); // a cancelled run is not a served request
        await host.StopAsync();
    }
}
