using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Runtime.Hosting;

/// <summary>
/// The serving API: run requests on the warm session(s) and let the runtime see each request's signature, input names,
/// dtypes and shapes, for coverage (<c>warmup.uncovered_requests</c>, <see cref="GetCoverage"/>) and the opt-in recorder.
/// </summary>
public sealed partial class WarmedOnnxModel
{
    private readonly RunOptions _defaultRunOptions = new();
    private volatile WarmupCoverage? _coverage;
    private volatile WarmupRecorder? _recorder;

    /// <summary>
    /// Coverage of the requests served through this API since the model was warm: the warmed shapes, the served shapes
    /// with counts and first-seen times, and the covered fraction. Null until warm, or when coverage is disabled.
    /// </summary>
    public WarmupCoverageSnapshot? GetCoverage() => _coverage?.Snapshot();

    /// <summary>What the recorder has done so far; null when recording is off (the default) or the model is not warm yet.</summary>
    public WarmupRecordingStatus? RecordingStatus => _recorder?.Status;

    internal WarmupRecorder? Recorder => _recorder;

    /// <summary>Writes the recorder's records now (they are otherwise written every FlushInterval and at shutdown). Never throws for a failing disk.</summary>
    public Task FlushRecordingAsync() => _recorder?.FlushAsync() ?? Task.CompletedTask;

    /// <summary>
    /// Runs <paramref name="inputs"/> (session input name → value) on the session of <paramref name="signature"/>
    /// (null: <c>serving_default</c>) and returns <paramref name="outputNames"/> (null: every output), in that order.
    /// The caller disposes the outputs.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no session yet.</exception>
    /// <exception cref="KeyNotFoundException">The model has no such signature.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime rejected the inputs or failed to run.</exception>
    public IDisposableReadOnlyCollection<OrtValue> Run(IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyCollection<string>? outputNames = null,
        RunOptions? runOptions = null, string? signature = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var (names, values) = Split(inputs);
        return Run(names, values, outputNames, runOptions, signature);
    }

    /// <summary>Runs inputs given as parallel name and value lists (see the dictionary overload).</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(IReadOnlyList<string> inputNames, IReadOnlyList<OrtValue> inputValues,
        IReadOnlyCollection<string>? outputNames = null, RunOptions? runOptions = null, string? signature = null)
    {
        ArgumentNullException.ThrowIfNull(inputNames);
        ArgumentNullException.ThrowIfNull(inputValues);
        var key = TfServing.ResolveSignatureName(signature);
        var session = GetSession(key);
        var outputs = session.Run(runOptions ?? _defaultRunOptions, inputNames, inputValues, outputNames ?? session.OutputNames);
        Observe(key, inputNames, inputValues);
        return outputs;
    }

    /// <summary>
    /// Runs through an IO binding: inputs bound as given, outputs bound to the device the session places them on (a CUDA
    /// session keeps them on the GPU, as the replay does with <see cref="WarmupReplayOptions.UseIoBinding"/>).
    /// </summary>
    public IDisposableReadOnlyCollection<OrtValue> RunWithBinding(IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyCollection<string>? outputNames = null,
        RunOptions? runOptions = null, string? signature = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var (names, values) = Split(inputs);
        var key = TfServing.ResolveSignatureName(signature);
        var session = GetSession(key);
        var outputs = PreparedRun.RunWithBinding(session, runOptions ?? _defaultRunOptions, names, values, outputNames ?? session.OutputNames);
        Observe(key, names, values);
        return outputs;
    }

    /// <summary>Runs <see cref="NamedOnnxValue"/> inputs (the classic API) and returns named outputs; the caller disposes them.</summary>
    public IDisposableReadOnlyCollection<DisposableNamedOnnxValue> Run(IReadOnlyCollection<NamedOnnxValue> inputs, IReadOnlyCollection<string>? outputNames = null,
        RunOptions? runOptions = null, string? signature = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var key = TfServing.ResolveSignatureName(signature);
        var session = GetSession(key);
        var outputs = session.Run(inputs, outputNames ?? session.OutputNames, runOptions ?? _defaultRunOptions);
        if (_coverage is not null || _recorder is not null)
        {
            ObserveNamed(key, inputs);
        }

        return outputs;
    }

    /// <summary>
    /// Runs a TF Serving predict request — what the generated <c>…Inputs</c> types of a model package build with
    /// <c>ToPredictRequest()</c>, so a host serves with the types its samples use. Request names map to session inputs as
    /// in the replay (<c>x:0</c> → <c>x</c>, <see cref="WarmupReplayOptions.InputNameMap"/>); dtypes and shapes are checked
    /// against the session first. Returns the outputs of <c>output_filter</c> (empty: every output), in that order.
    /// </summary>
    /// <exception cref="WarmupReplayException">The request does not fit the session (unknown input, dtype or shape mismatch).</exception>
    public IDisposableReadOnlyCollection<OrtValue> Run(PredictRequest request, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var sessions = _sessions ?? throw NotLoaded();
        using var prepared = RequestMapper.Prepare(new PredictionLog { PredictLog = new PredictLog { Request = request } }, sessions, _options.Replay);
        var run = prepared.Runs[0];
        var outputs = run.RunForOutputs(runOptions ?? _defaultRunOptions, useIoBinding: false);
        _coverage?.Observe(run.RequestShape);
        if (_recorder is { } recorder)
        {
            Record(recorder, run.RequestShape, () => request.Inputs
                .Select(p => new WarmupRecorder.PendingInput(p.Key, p.Value.Dtype, TensorShapes.FromProto(p.Value.TensorShape), Proto: p.Value.Clone()))
                .ToArray());
        }

        return outputs;
    }

    /// <summary>
    /// Runs <paramref name="inputs"/> on a thread-pool thread (ONNX Runtime's Run blocks) and completes with the outputs.
    /// Cancelling sets ONNX Runtime's terminate flag, so the run in flight stops between kernels.
    /// </summary>
    public Task<IDisposableReadOnlyCollection<OrtValue>> RunAsync(IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyCollection<string>? outputNames = null,
        RunOptions? runOptions = null, string? signature = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return RunOffThreadAsync(options => Run(inputs, outputNames, options, signature), runOptions, cancellationToken);
    }

    /// <summary>Runs a predict request (see <see cref="Run(PredictRequest, RunOptions?)"/>) on a thread-pool thread; cancellation terminates the run.</summary>
    public Task<IDisposableReadOnlyCollection<OrtValue>> RunAsync(PredictRequest request, RunOptions? runOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RunOffThreadAsync(options => Run(request, options), runOptions, cancellationToken);
    }

    private static async Task<IDisposableReadOnlyCollection<OrtValue>> RunOffThreadAsync(Func<RunOptions, IDisposableReadOnlyCollection<OrtValue>> run,
        RunOptions? runOptions, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!cancellationToken.CanBeCanceled)
        {
            return await Task.Run(() => run(runOptions ?? new RunOptions()), CancellationToken.None).ConfigureAwait(false);
        }

        var owned = runOptions is null ? new RunOptions() : null;
        var options = runOptions ?? owned!;
        try
        {
            using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, options);
            try
            {
                return await Task.Run(() => run(options), CancellationToken.None).ConfigureAwait(false);
            }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>Called once the replay is done, before the model is ready: the warmed shapes become the coverage baseline.</summary>
    internal void StartServing(WarmupReport? report)
    {
        if (_options.Coverage.Enabled)
        {
            var warmed = report?.Records.Where(r => r.Status == WarmupRecordStatus.Ok).SelectMany(r => r.RunShapes) ?? [];
            _coverage = new WarmupCoverage(Name, warmed, _options.Coverage.MaxDistinctShapes, _logger, _instruments);
        }

        if (_options.Recording.Enabled)
        {
            _recorder = new WarmupRecorder(_options.Replay.ModelName ?? Name, _options.Recording, _logger, _instruments);
        }
    }

    /// <summary>Writes the recorder's queue and records (host shutdown).</summary>
    internal Task StopServingAsync() => _recorder?.StopAsync() ?? Task.CompletedTask;

    private void DisposeServing()
    {
        // Dispose without a StopAsync (no host): still write what was recorded.
        _recorder?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _defaultRunOptions.Dispose();
    }

    private void Observe(string signature, IReadOnlyList<string> names, IReadOnlyList<OrtValue> values)
    {
        var coverage = _coverage;
        var recorder = _recorder;
        if (coverage is null && recorder is null)
        {
            return;
        }

        var inputs = InputsOf(names, values);
        var shape = coverage is null ? new RequestShape(signature, inputs.ToArray()) : coverage.Observe(signature, inputs);
        if (recorder is not null)
        {
            Record(recorder, shape, () => Capture(recorder, names, values));
        }
    }

    private void ObserveNamed(string signature, IReadOnlyCollection<NamedOnnxValue> inputs)
    {
        var shape = new RequestShape(signature, inputs.Select(i =>
        {
            var described = NamedInputs.Describe(i, copyValues: false);
            return new RequestInputShape(described.Name, described.DType, described.Shape);
        }));
        _coverage?.Observe(shape);
        if (_recorder is { } recorder)
        {
            Record(recorder, shape, () => inputs.Select(i => NamedInputs.Describe(i, recorder.RecordsValues)).ToArray());
        }
    }

    private void Record(WarmupRecorder recorder, RequestShape shape, Func<WarmupRecorder.PendingInput[]> capture)
    {
        if (!recorder.TryReserve(shape))
        {
            return;
        }

        try
        {
            recorder.Enqueue(new WarmupRecorder.PendingRequest(shape, DateTimeOffset.UtcNow, capture()));
        }
        catch (Exception ex)
        {
            // Never thrown into the request.
            recorder.Release(shape);
            Log.RecordingFailed(_logger, Name, ex.Message, ex);
        }
    }

    private static WarmupRecorder.PendingInput[] Capture(WarmupRecorder recorder, IReadOnlyList<string> names, IReadOnlyList<OrtValue> values)
    {
        var inputs = new WarmupRecorder.PendingInput[names.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            var value = values[i];
            var info = value.GetTensorTypeAndShape();
            var dtype = DataTypeOf(info.ElementDataType);
            if (!recorder.RecordsValues)
            {
                inputs[i] = new WarmupRecorder.PendingInput(names[i], dtype, info.Shape);
            }
            else if (info.ElementDataType == TensorElementType.String)
            {
                // ONNX Runtime's .NET API reads string elements as UTF-16; they are written back as UTF-8.
                var strings = new byte[info.ElementCount][];
                for (var e = 0; e < strings.Length; e++)
                {
                    strings[e] = Encoding.UTF8.GetBytes(value.GetStringElement(e));
                }

                inputs[i] = new WarmupRecorder.PendingInput(names[i], dtype, info.Shape, Strings: strings);
            }
            else
            {
                // The one copy on the request path: the caller owns the input's memory once Run returns.
                inputs[i] = new WarmupRecorder.PendingInput(names[i], dtype, info.Shape, Content: value.GetTensorMutableRawData().ToArray());
            }
        }

        return inputs;
    }

    [ThreadStatic]
    private static RequestInputShape[]? t_inputs;

    // The inputs' names, dtypes and shapes in the caller's order, in a per-thread buffer (valid until the thread's next request).
    private static ReadOnlySpan<RequestInputShape> InputsOf(IReadOnlyList<string> names, IReadOnlyList<OrtValue> values)
    {
        var count = names.Count;
        var inputs = t_inputs is { } buffer && buffer.Length >= count ? buffer : t_inputs = new RequestInputShape[Math.Max(count, 4)];
        for (var i = 0; i < count; i++)
        {
            var value = values[i];
            if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR)
            {
                inputs[i] = new RequestInputShape(names[i], DataType.DtInvalid, []);
                continue;
            }

            var info = value.GetTensorTypeAndShape();
            inputs[i] = new RequestInputShape(names[i], DataTypeOf(info.ElementDataType), info.Shape);
        }

        return inputs.AsSpan(0, count);
    }

    private static DataType DataTypeOf(TensorElementType type) => DTypes.FromOnnx((OnnxElementType)(int)type)?.DataType ?? DataType.DtInvalid;

    private static (IReadOnlyList<string> Names, IReadOnlyList<OrtValue> Values) Split(IReadOnlyDictionary<string, OrtValue> inputs)
    {
        var names = new string[inputs.Count];
        var values = new OrtValue[inputs.Count];
        var i = 0;
        foreach (var (name, value) in inputs)
        {
            names[i] = name;
            values[i++] = value;
        }

        return (names, values);
    }
}
