using System.Diagnostics;

namespace Warmup.Runtime;

/// <summary>The stages of a replay that <see cref="ReplayProfile"/> times.</summary>
internal enum ReplayStage
{
    /// <summary>Waiting for the shared reader, then reading a record (framing, CRCs) and parsing it.</summary>
    Read,

    /// <summary>Mapping the request to the session's inputs, checking it and creating (and freeing) the native tensors.</summary>
    Map,

    /// <summary>The session runs.</summary>
    Run,

    /// <summary>A replay worker from start to end (the stages above plus per-record bookkeeping).</summary>
    Worker,
}

/// <summary>
/// Where a replay's time goes, stage by stage, summed over its workers: wall time and the worker threads' CPU time.
/// Benchmark instrumentation, off unless <see cref="WarmupReplayOptions.Profile"/> is set.
/// </summary>
internal sealed class ReplayProfile
{
    private readonly double[] _wallMs = new double[4];
    private readonly double[] _cpuMs = new double[4];

    public double WallMs(ReplayStage stage)
    {
        lock (_wallMs)
        {
            return _wallMs[(int)stage];
        }
    }

    public double CpuMs(ReplayStage stage)
    {
        lock (_wallMs)
        {
            return _cpuMs[(int)stage];
        }
    }

    private long _entered;
    private long _firstWorker;
    private long _lastWorker;
    private long _returned;

    /// <summary>Wall time from entering the replay to the first worker's start (opening the file, starting threads), ms.</summary>
    public double StartupMs => _entered == 0 || _firstWorker == 0 ? 0 : Stopwatch.GetElapsedTime(_entered, _firstWorker).TotalMilliseconds;

    /// <summary>Wall time from the last worker's end to the replay's return (joining, the report, closing the file), ms.</summary>
    public double FinishMs => _lastWorker == 0 || _returned == 0 ? 0 : Stopwatch.GetElapsedTime(_lastWorker, _returned).TotalMilliseconds;

    public void Reset()
    {
        lock (_wallMs)
        {
            Array.Clear(_wallMs);
            Array.Clear(_cpuMs);
            _entered = _firstWorker = _lastWorker = _returned = 0;
        }
    }

    public void Entered()
    {
        lock (_wallMs)
        {
            if (_entered == 0)
            {
                _entered = Stopwatch.GetTimestamp();
            }
        }
    }

    public void WorkerStarted(Mark at)
    {
        lock (_wallMs)
        {
            _firstWorker = _firstWorker == 0 ? at.Timestamp : Math.Min(_firstWorker, at.Timestamp);
        }
    }

    public void Returned()
    {
        lock (_wallMs)
        {
            _returned = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>A point in time on the calling thread.</summary>
    public static Mark Now() => new(Stopwatch.GetTimestamp(), ThreadCpuClock.IsSupported ? ThreadCpuClock.NowMs() : 0);

    /// <summary>Adds the time since <paramref name="from"/> (taken on the calling thread) to <paramref name="stage"/>.</summary>
    public void Add(ReplayStage stage, Mark from)
    {
        var now = Now();
        lock (_wallMs)
        {
            _wallMs[(int)stage] += Stopwatch.GetElapsedTime(from.Timestamp, now.Timestamp).TotalMilliseconds;
            _cpuMs[(int)stage] += now.CpuMs - from.CpuMs;
            if (stage == ReplayStage.Worker)
            {
                _lastWorker = Math.Max(_lastWorker, now.Timestamp);
            }
        }
    }

    public readonly record struct Mark(long Timestamp, double CpuMs);
}
