using System.ComponentModel;
using Microsoft.ML.OnnxRuntime;
using Warmup.Format;
using Warmup.Format.Protos.Serving;

namespace Warmup.Runtime;

// The seam between the replay and Warmup.Runtime.Measurement, which times the replay's own code path from a separate
// assembly (so that serving hosts do not ship benchmark code): public, hidden from IntelliSense, and changed in lockstep
// with Warmup.Runtime.Measurement. Application code has no use for it: OnnxWarmup and the hosting API do the same work.

/// <summary>The stages of a replay that an <see cref="IWarmupReplayProfiler"/> sees.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum WarmupReplayStage
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
/// Sees where a replay's time goes (benchmark instrumentation; Warmup.Runtime.Measurement's <c>ReplayProfile</c> is one).
/// Set it as <see cref="WarmupReplayOptions.Profiler"/>. Each stage starts and ends on the thread that runs it; on one
/// thread only <see cref="WarmupReplayStage.Worker"/> holds other stages.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IWarmupReplayProfiler
{
    /// <summary>A replay of a file path was entered (before its options are checked and the file opened).</summary>
    void ReplayStarted();

    /// <summary><paramref name="stage"/> starts on the calling thread.</summary>
    void StageStarted(WarmupReplayStage stage);

    /// <summary><paramref name="stage"/>, started last on the calling thread, ends.</summary>
    void StageEnded(WarmupReplayStage stage);

    /// <summary>The replay of a file path returns (after its workers are joined and the file closed).</summary>
    void ReplayEnded();
}

/// <summary>
/// The replay's own steps — reading a file's records, mapping one onto sessions, running it — exactly as
/// <see cref="OnnxWarmup"/> takes them, for Warmup.Runtime.Measurement. Not for application code; it changes with
/// Warmup.Runtime.Measurement, in lockstep.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class WarmupReplaySteps
{
    /// <summary>Checks <paramref name="options"/> as a replay does.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it).</exception>
    public static void Validate(WarmupReplayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
    }

    /// <summary>
    /// Starts reading the first records of <paramref name="path"/> and decoding their tensors, as a hosted model does while
    /// its sessions are created, so the replay's model-independent code is compiled beside the session creation. Cancel
    /// <paramref name="cancellationToken"/> once the session is ready, then await the task (it never fails; it returns
    /// how many records it decoded).
    /// </summary>
    public static Task<int> StartPrefetch(string path, WarmupReplayOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        return ReplayPrefetch.Start(path, options, cancellationToken);
    }

    /// <summary>Every record of <paramref name="path"/>, at most <see cref="WarmupReplayOptions.MaxRecords"/>.</summary>
    /// <exception cref="WarmupReplayException">The file cannot be read, or a record is malformed (as the replay reports it).</exception>
    public static IReadOnlyList<WarmupRecord> ReadRecords(string path, WarmupReplayOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return WarmupFile.Read(path, new WarmupReadOptions { MaxRecords = options.MaxRecords }).ToList();
        }
        catch (WarmupFormatException ex)
        {
            throw WarmupReplayException.FromFormat(ex);
        }
    }

    /// <summary>
    /// Maps <paramref name="log"/> onto the session serving each of its signatures and checks it, as the replay does; its
    /// inputs become native tensors, ready to run.
    /// </summary>
    /// <exception cref="WarmupReplayException">The record does not fit the sessions; located at <paramref name="path"/>,
    /// <paramref name="index"/> and <paramref name="offset"/> when given.</exception>
    public static WarmupPreparedRecord Prepare(PredictionLog log, IReadOnlyDictionary<string, InferenceSession> sessions, WarmupReplayOptions options,
        string? path = null, long? index = null, long? offset = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return new WarmupPreparedRecord(RequestMapper.Prepare(log, sessions, options));
        }
        catch (WarmupReplayException ex)
        {
            throw ex.WithLocation(path, index, offset);
        }
    }
}

/// <summary>A record prepared by <see cref="WarmupReplaySteps.Prepare"/>: its session runs, inputs ready. Dispose it to free the tensors.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class WarmupPreparedRecord : IDisposable
{
    private readonly PreparedRecord _record;

    internal WarmupPreparedRecord(PreparedRecord record)
    {
        _record = record;
        Runs = record.Runs.Select(r => new WarmupPreparedRun(r)).ToArray();
    }

    /// <summary>A record that runs nothing.</summary>
    public static WarmupPreparedRecord Empty => new(new PreparedRecord([]));

    /// <summary>The record's session runs (several for multi-inference; none for a record that runs nothing).</summary>
    public IReadOnlyList<WarmupPreparedRun> Runs { get; }

    /// <summary>The signature of each run.</summary>
    public IReadOnlyList<string> Signatures => _record.Signatures;

    /// <summary>The tensors each run feeds, in run order.</summary>
    public IReadOnlyList<WarmupTensorShape> Inputs => _record.Shapes;

    /// <summary>Equal for records that feed the same signatures with the same dtypes and shapes.</summary>
    public string ShapeKey => _record.ShapeKey;

    /// <summary>Runs every run once, as the replay runs one iteration; the outputs are released.</summary>
    public void Run(RunOptions runOptions, bool useIoBinding)
    {
        var runs = _record.Runs;
        for (var i = 0; i < runs.Count; i++)
        {
            runs[i].Run(runOptions, useIoBinding);
        }
    }

    /// <summary>
    /// The same runs — sessions, input and output names — fed other values: <paramref name="inputs"/> gives each run's, in
    /// the order of <see cref="WarmupPreparedRun.InputNames"/>. The new record owns them and disposes them.
    /// </summary>
    public WarmupPreparedRecord WithInputs(Func<WarmupPreparedRun, OrtValue[]> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var runs = new List<PreparedRun>();
        try
        {
            foreach (var run in Runs)
            {
                var source = run.Prepared;
                runs.Add(new PreparedRun(source.Signature, source.Session, source.InputNames, inputs(run), source.OutputNames, source.Shapes));
            }
        }
        catch
        {
            new PreparedRecord(runs).Dispose();
            throw;
        }

        return new WarmupPreparedRecord(new PreparedRecord(runs));
    }

    /// <summary>Frees the input tensors.</summary>
    public void Dispose() => _record.Dispose();
}

/// <summary>One session run of a <see cref="WarmupPreparedRecord"/>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class WarmupPreparedRun
{
    internal WarmupPreparedRun(PreparedRun run) => Prepared = run;

    internal PreparedRun Prepared { get; }

    /// <summary>The signature run.</summary>
    public string Signature => Prepared.Signature;

    /// <summary>The session that runs it.</summary>
    public InferenceSession Session => Prepared.Session;

    /// <summary>The session input names fed.</summary>
    public IReadOnlyList<string> InputNames => Prepared.InputNames;

    /// <summary>The input tensors, in the order of <see cref="InputNames"/>; they belong to the record.</summary>
    public IReadOnlyList<OrtValue> Inputs => Prepared.Inputs;
}
