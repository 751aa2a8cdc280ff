using System.Text.Json;
using Warmup.Format.Protos.Serving;
using Warmup.Runtime.Measurement;
using Warmup.Testing;

namespace Warmup.Runtime.Tests;

/// <summary>The measurement's structure and bookkeeping; its figures are benchmarked in bench/, never asserted here.</summary>
public sealed class MeasurementTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Measures_cold_warm_and_steady_per_shape_in_fresh_sessions()
    {
        var path = Records.Write(_dir.File("warmup"),
            Records.Predict(("x", Records.Floats(1, 3, 16, 16))),
            Records.Predict(("x", Records.Floats(1, 3, 24, 16))),
            Records.Predict(("x", Records.Floats(1, 3, 16, 16))));
        var sessions = 0;
        var report = await WarmupMeasurement.MeasureAsync(() =>
        {
            sessions++;
            return Sessions.Create(TestModels.ConvRelu(channels: 4));
        }, path, new WarmupMeasurementOptions { SteadyRuns = 5, Repeats = 2 });

        // One throwaway session, then per repeat: a cold session per shape, one session running the records in file order,
        // and a warm session per shape.
        Assert.Equal(1 + 2 * (2 + 1 + 2), sessions);
        Assert.Equal(2, report.Shapes.Count);
        Assert.Equal([2, 1], report.Shapes.Select(s => s.Records));
        Assert.Equal([0L, 1L], report.Shapes.Select(s => s.FirstRecordIndex));
        Assert.Equal("x:DT_FLOAT[1,3,24,16]", report.Shapes[1].Shape);
        Assert.Equal("serving_default", report.Shapes[0].Signature);
        Assert.All(report.Shapes, s =>
        {
            Assert.Equal(WarmupReplayOptions.DefaultIterations, s.ColdRunsMs.Count);
            Assert.Equal(s.ColdRunsMs[0], s.ColdFirstMs);
            Assert.True(s.ColdFirstMs > 0 && s.WarmFirstMs > 0 && s.SteadyP50Ms > 0 && s.InContextP50Ms > 0);
            Assert.Equal(s.WarmFirstMs / s.SteadyP50Ms, s.WarmFirstRatio, 9);
            Assert.Equal(s.ColdFirstMs / s.SteadyP50Ms, s.ColdFirstRatio, 9);
            Assert.Equal(s.WarmFirstMs / s.InContextP50Ms, s.WarmFirstInContextRatio, 9);
            Assert.Equal(s.ColdFirstMs / s.InContextP50Ms, s.ColdFirstInContextRatio, 9);
        });

        var summary = report.Summary;
        Assert.Equal(3, summary.Records);
        Assert.Equal(5, summary.SteadyRuns);
        Assert.Equal(2, summary.Repeats);
        Assert.Equal(report.Shapes.Max(s => s.WarmFirstRatio), summary.MaxWarmFirstRatio, 9);
        Assert.Equal(report.Shapes.Max(s => s.ColdFirstRatio), summary.MaxColdFirstRatio, 9);
        Assert.Equal(report.Shapes.Max(s => s.WarmFirstInContextRatio), summary.MaxWarmFirstInContextRatio, 9);
        Assert.Equal(report.Shapes.Max(s => s.ColdFirstInContextRatio), summary.MaxColdFirstInContextRatio, 9);
        Assert.Equal((report.Shapes[0].WarmFirstInContextRatio + report.Shapes[1].WarmFirstInContextRatio) / 2, summary.MedianWarmFirstInContextRatio, 9);
        Assert.Equal(2, summary.ContextRecordIndex);
        // The repeated shape (record 2) counts as steady runs; the first of each shape as its cold runs.
        var expectedAbsorbed = report.Shapes.Sum(s => s.ColdRunsMs.Sum()) + report.Shapes[0].SteadyP50Ms * WarmupReplayOptions.DefaultIterations;
        Assert.Equal(expectedAbsorbed, summary.AbsorbedColdMs, 6);
        Assert.True(summary.WarmupWallMs > 0);
        Assert.Equal(summary.WarmupWallMs / summary.AbsorbedColdMs, summary.WarmupWallRatio, 9);
        Assert.True(summary.AbsorbedSequentialMs > 0);
        Assert.Equal(summary.WarmupWallMs / summary.AbsorbedSequentialMs, summary.WarmupSequentialRatio, 9);
    }

    [Fact]
    public async Task Each_warm_first_request_follows_its_own_replay_and_in_context_runs_follow_a_replay_of_the_last_runnable_record()
    {
        // Records 0 and 2 share a shape; record 3 has no log type and runs nothing, so the context is record 2.
        var path = Records.Write(_dir.File("warmup"),
            Records.Predict(("x", Records.Floats(1, 3, 16, 16))),
            Records.Predict(("x", Records.Floats(1, 3, 24, 16))),
            Records.Predict(("x", Records.Floats(1, 3, 16, 16))),
            new PredictionLog());
        var model = "measure-" + Guid.NewGuid();
        var replays = new List<string>();
        var read = new List<string>();
        using var listener = ReplayTests.Listen(model, (name, status, _) =>
        {
            lock (replays)
            {
                (name == WarmupTelemetry.LatencyInstrument ? replays : read).Add(status);
            }
        });

        const int SteadyRuns = 3;
        var report = await WarmupMeasurement.MeasureAsync(() => Sessions.Create(TestModels.ConvRelu(channels: 4)), path, new WarmupMeasurementOptions
        {
            SteadyRuns = SteadyRuns, Replay = new WarmupReplayOptions { ModelName = model },
        });

        Assert.Equal(2, report.Summary.ContextRecordIndex);
        Assert.Equal(3, report.Summary.Records);
        // A dry run, one full replay per shape (its warm first request), one one-record replay per in-context run.
        Assert.Equal(1 + 2 + (2 * SteadyRuns), replays.Count);
        Assert.All(replays, status => Assert.Equal("ok", status));
        // The dry run reads 4 records and runs none; each full replay runs 3 and skips the empty one; each context replay runs 1.
        Assert.Equal(4 + (2 * 1), read.Count(s => s == "skipped"));
        Assert.Equal((2 * 3) + (2 * SteadyRuns), read.Count(s => s == "ok"));
    }

    [Fact]
    public async Task The_report_writes_the_one_json_schema_the_tool_prints()
    {
        var path = Records.Write(_dir.File("warmup"), Records.Predict(("x", Records.Floats(1, 3, 16, 16))), Records.Predict(("x", Records.Floats(1, 3, 24, 16))));
        var report = await WarmupMeasurement.MeasureAsync(() => Sessions.Create(TestModels.ConvRelu(channels: 4)), path, new WarmupMeasurementOptions { SteadyRuns = 2 });

        using var json = JsonDocument.Parse(report.ToJson("cpu"));

        var root = json.RootElement;
        Assert.Equal(["file", "device", "records", "summary"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("cpu", root.GetProperty("device").GetString());
        Assert.Equal(path, root.GetProperty("file").GetString());
        var record = root.GetProperty("records")[1];
        Assert.Equal(["index", "shape", "signature", "records", "coldFirstMs", "warmFirstMs", "steadyP50Ms", "inContextP50Ms", "coldFirstToSteady",
            "warmFirstToSteady", "coldFirstToInContext", "warmFirstToInContext"], record.EnumerateObject().Select(p => p.Name));
        Assert.Equal(report.Shapes[1].WarmFirstInContextRatio, record.GetProperty("warmFirstToInContext").GetDouble());
        Assert.Equal("x:DT_FLOAT[1,3,24,16]", record.GetProperty("shape").GetString());
        var summary = root.GetProperty("summary");
        Assert.Equal(["scope", "processes", "shapes", "records", "iterations", "steadyRuns", "contextRecord", "warmupMs", "absorbedColdMs", "absorbedSequentialMs",
            "maxWarmFirstToSteady", "medianWarmFirstToSteady", "maxColdFirstToSteady", "medianColdFirstToSteady", "maxWarmFirstToInContext",
            "medianWarmFirstToInContext", "maxColdFirstToInContext", "medianColdFirstToInContext"], summary.EnumerateObject().Select(p => p.Name));
        Assert.Equal("session", summary.GetProperty("scope").GetString());
        Assert.Equal(report.Summary.WarmupWallMs, summary.GetProperty("warmupMs").GetDouble());
    }

    [Fact]
    public async Task The_replay_profile_splits_a_replay_into_its_stages()
    {
        var path = Records.Write(_dir.File("warmup"), Records.Predict(("x", Records.Floats(1, 3, 16, 16))), Records.Predict(("x", Records.Floats(1, 3, 24, 16))));
        using var session = Sessions.Create(TestModels.ConvRelu(channels: 4));
        var profile = new ReplayProfile();

        var report = await OnnxWarmup.RunAsync(session, path, new WarmupReplayOptions { Profiler = profile });

        Assert.Equal(2, report.Summary.Replayed);
        var stages = new[] { WarmupReplayStage.Read, WarmupReplayStage.Map, WarmupReplayStage.Run };
        Assert.All(stages, stage => Assert.True(profile.WallMs(stage) > 0, stage.ToString()));
        Assert.True(profile.WallMs(WarmupReplayStage.Worker) >= stages.Sum(profile.WallMs));
        Assert.True(profile.StartupMs > 0 && profile.FinishMs > 0);
        Assert.True(profile.WallMs(WarmupReplayStage.Run) <= report.Summary.ElapsedMs);

        profile.Reset();
        Assert.Equal(0, profile.WallMs(WarmupReplayStage.Run));
        await OnnxWarmup.RunAsync(session, path);
        Assert.Equal(0, profile.WallMs(WarmupReplayStage.Worker)); // a replay without the profile times nothing into it
    }

    [Fact]
    public async Task The_cpu_clock_measures_thread_cpu_time()
    {
        var path = Records.Write(_dir.File("warmup"), Records.Predict(("x", Records.Floats(1, 3, 32, 32))));
        var report = await WarmupMeasurement.MeasureAsync(() => Sessions.Create(TestModels.ConvRelu(channels: 4)), path,
            new WarmupMeasurementOptions { SteadyRuns = 3, Clock = WarmupClock.ThreadCpu });
        Assert.Equal(WarmupClock.ThreadCpu, report.Summary.Clock);
        var shape = Assert.Single(report.Shapes);
        Assert.True(shape.ColdFirstMs > 0 && shape.WarmFirstMs > 0 && shape.SteadyP50Ms > 0);
        Assert.True(report.Summary.WarmupWallMs > 0);
    }

    [Fact]
    public async Task A_record_the_model_cannot_take_fails_the_measurement_with_its_location()
    {
        var path = Records.Write(_dir.File("warmup"), Records.Predict(("x", Records.Floats(1, 4))), Records.Predict(("x", Records.Floats(1, 5))));
        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() =>
            WarmupMeasurement.MeasureAsync(() => Sessions.Create(TestModels.MatMulAdd()), path));
        Assert.Equal(1, ex.RecordIndex);
        Assert.Equal(WarmupFailureKind.ShapeMismatch, ex.Kind);
    }
}
