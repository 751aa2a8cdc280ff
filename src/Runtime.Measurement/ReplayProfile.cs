using System.Diagnostics;

namespace Warmup.Runtime.Measurement;

/// <summary>
/// Where a replay's time goes, stage by stage, summed over its workers: wall time and the worker threads' CPU time
/// (CPU time where <see cref="ThreadCpuClock.IsSupported"/>, else 0). Set it as <see cref="WarmupReplayOptions.Profiler"/>;
/// it adds two clock reads per stage, so it is for benchmarks, not for serving.
/// </summary>
public sealed class ReplayProfile : IWarmupReplayProfiler
{
    // Each stage starts and ends on one thread, and a thread runs one replay at a time: its open stages are kept per thread.
    [ThreadStatic]
    private static Mark[]? t_started;

    private readonly double[] _wallMs = new double[4];
    private readonly double[] _cpuMs = new double[4];
    private long _entered;
    private long _firstWorker;
    private long _lastWorker;
    private long _returned;

    /// <summary>The wall time spent in <paramref name="stage"/>, summed over workers (ms).</summary>
    public double WallMs(WarmupReplayStage stage)
    {
        lock (_wallMs)
        {
            return _wallMs[(int)stage];
        }
    }

    /// <summary>The worker threads' CPU time spent in <paramref name="stage"/>, summed (ms).</summary>
    public double CpuMs(WarmupReplayStage stage)
    {
        lock (_wallMs)
        {
            return _cpuMs[(int)stage];
        }
    }

    /// <summary>Wall time from entering the replay to the first worker's start (opening the file, starting threads), ms.</summary>
    public double StartupMs => _entered == 0 || _firstWorker == 0 ? 0 : Stopwatch.GetElapsedTime(_entered, _firstWorker).TotalMilliseconds;

    /// <summary>Wall time from the last worker's end to the replay's return (joining, the report, closing the file), ms.</summary>
    public double FinishMs => _lastWorker == 0 || _returned == 0 ? 0 : Stopwatch.GetElapsedTime(_lastWorker, _returned).TotalMilliseconds;

    /// <summary>Clears every figure, for the next replay.</summary>
    public void Reset()
    {
        lock (_wallMs)
        {
            Array.Clear(_wallMs);
            Array.Clear(_cpuMs);
            _entered = _firstWorker = _lastWorker = _returned = 0;
        }
    }

    void IWarmupReplayProfiler.ReplayStarted()
    {
        lock (_wallMs)
        {
            if (_entered == 0)
            {
                _entered = Stopwatch.GetTimestamp();
            }
        }
    }

    void IWarmupReplayProfiler.StageStarted(WarmupReplayStage stage)
    {
        var now = Now();
        (t_started ??= new Mark[4])[(int)stage] = now;
        if (stage == WarmupReplayStage.Worker)
        {
            lock (_wallMs)
            {
                _firstWorker = _firstWorker == 0 ? now.Timestamp : Math.Min(_firstWorker, now.Timestamp);
            }
        }
    }

    void IWarmupReplayProfiler.StageEnded(WarmupReplayStage stage)
    {
        var now = Now();
        var from = (t_started ??= new Mark[4])[(int)stage];
        lock (_wallMs)
        {
            _wallMs[(int)stage] += Stopwatch.GetElapsedTime(from.Timestamp, now.Timestamp).TotalMilliseconds;
            _cpuMs[(int)stage] += now.CpuMs - from.CpuMs;
            if (stage == WarmupReplayStage.Worker)
            {
                _lastWorker = Math.Max(_lastWorker, now.Timestamp);
            }
        }
    }

    void IWarmupReplayProfiler.ReplayEnded()
    {
        lock (_wallMs)
        {
            _returned = Stopwatch.GetTimestamp();
        }
    }

    private static Mark Now() => new(Stopwatch.GetTimestamp(), ThreadCpuClock.IsSupported ? ThreadCpuClock.NowMs() : 0);

    private readonly record struct Mark(long Timestamp, double CpuMs);
}
