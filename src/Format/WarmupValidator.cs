using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format;

/// <summary>Severity of a validation finding.</summary>
public enum WarmupIssueSeverity
{
    /// <summary>TF Serving would accept the file but the finding deserves attention.</summary>
    Warning,
    /// <summary>TF Serving would fail the model load (or the record cannot work).</summary>
    Error,
}

/// <summary>One validation finding.</summary>
/// <param name="Severity">Error or warning.</param>
/// <param name="Kind">The kind of problem.</param>
/// <param name="RecordIndex">The record, or null for file-level findings.</param>
/// <param name="Offset">The record's byte offset (or the file position), when known.</param>
/// <param name="Message">What is wrong and what to do.</param>
public sealed record WarmupIssue(WarmupIssueSeverity Severity, WarmupErrorKind Kind, long? RecordIndex, long? Offset, string Message)
{
    /// <summary>The finding as one line, <c>file: record i at byte o: message</c>, like <see cref="WarmupFormatException"/>.</summary>
    public string Describe(string? filePath) => WarmupException.Compose(filePath, RecordIndex, Offset, Message);
}

/// <summary>The result of validating a warmup file.</summary>
/// <param name="File">The file validated.</param>
/// <param name="Records">Records read (up to the first framing or parse error).</param>
/// <param name="Issues">Findings in file order.</param>
public sealed record WarmupValidationReport(string File, int Records, IReadOnlyList<WarmupIssue> Issues)
{
    /// <summary>True when no finding is an error.</summary>
    public bool IsValid => Issues.All(i => i.Severity != WarmupIssueSeverity.Error);
}

/// <summary>TF Serving's rules for warmup files, in one place (see <c>shared/spec/tf-serving-warmup.md</c>).</summary>
public static class WarmupValidator
{
    /// <summary>
    /// Validates a whole file: framing and CRCs, PredictionLog parsing, the 1000-record limit, compression, log types and
    /// tensors. Never throws for bad content; every problem becomes an issue. Optional <paramref name="checkRecord"/> adds
    /// findings per record (for example a model-signature check).
    /// </summary>
    /// <remarks>
    /// A record that expands (TensorFlow's fill rule) far beyond its encoded size, or beyond
    /// <see cref="TensorLimits.MaxRecordBytes"/> of <paramref name="limits"/>, gets a warning: TF Serving accepts it, but it
    /// costs that memory at load, and Warmup's replay refuses records above the budget.
    /// </remarks>
    public static WarmupValidationReport Validate(string path, Func<WarmupRecord, IEnumerable<WarmupIssue>>? checkRecord = null, TensorLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var issues = new List<WarmupIssue>();
        var records = 0;
        try
        {
            foreach (var record in WarmupFile.Read(path, new WarmupReadOptions { MaxRecords = null }))
            {
                records++;
                if (record.Index == TfServing.MaxRecords)
                {
                    issues.Add(new WarmupIssue(WarmupIssueSeverity.Error, WarmupErrorKind.TooManyRecords, record.Index, record.Offset,
                        $"too many records: TF Serving accepts at most {TfServing.MaxRecords} and fails the load at this one. Remove records."));
                }

                foreach (var issue in ValidateLog(record.Log))
                {
                    issues.Add(issue with { RecordIndex = record.Index, Offset = record.Offset });
                }

                if (CheckExpansion(record, limits ?? TensorLimits.Default) is { } expansion)
                {
                    issues.Add(expansion);
                }

                if (checkRecord is not null)
                {
                    issues.AddRange(checkRecord(record));
                }
            }
        }
        catch (WarmupFormatException ex)
        {
            // TF Serving treats a partial header at the end as the end of the file, so the load still succeeds.
            var severity = ex.Kind == WarmupErrorKind.TruncatedHeader ? WarmupIssueSeverity.Warning : WarmupIssueSeverity.Error;
            issues.Add(new WarmupIssue(severity, ex.Kind, ex.RecordIndex, ex.ByteOffset, ex.Problem));
        }

        if (records == 0 && issues.Count == 0)
        {
            issues.Add(new WarmupIssue(WarmupIssueSeverity.Warning, WarmupErrorKind.EmptyFile, null, 0,
                "the file is empty: it is valid, but TF Serving will replay nothing. Add samples or remove the file."));
        }

        return new WarmupValidationReport(path, records, issues);
    }

    /// <summary>
    /// TF Serving's rules for one record: the log type must be one the classic runtime replays, the request must be
    /// present, and every tensor must decode (supported dtype, consistent shape and content). Issues carry no location.
    /// </summary>
    public static IEnumerable<WarmupIssue> ValidateLog(PredictionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var issues = new List<WarmupIssue>();
        var view = new PredictionLogView(log);
        switch (view.Support)
        {
            case LogTypeSupport.SilentlySkipped:
                issues.Add(Warning(WarmupErrorKind.UnsupportedLogType,
                    "no log type is set: TF Serving counts the record and runs nothing. Set predict_log, classify_log, regress_log or multi_inference_log."));
                return issues;
            case LogTypeSupport.Rejected:
                issues.Add(Error(WarmupErrorKind.UnsupportedLogType,
                    $"log type {view.Name} is rejected by TF Serving's classic runtime " +
                    $"(Unsupported log_type for warmup: {view.FieldNumber}). Use predict_log instead."));
                return issues;
        }

        foreach (var request in view.Requests)
        {
            if (!request.TakesExamples)
            {
                ValidatePredict(request, issues);
                continue;
            }

            if (view.Type == WarmupLogType.MultiInference)
            {
                if (request.Tasks.Count == 0)
                {
                    issues.Add(Error(WarmupErrorKind.ParseError, "multi_inference request has no tasks. Add at least one inference task."));
                }

                foreach (var task in request.Tasks.Where(t => t.MethodName is not (TfServing.ClassifyMethod or TfServing.RegressMethod)))
                {
                    issues.Add(Error(WarmupErrorKind.ParseError,
                        $"multi_inference task method \"{task.MethodName}\" is not {TfServing.ClassifyMethod} or {TfServing.RegressMethod}."));
                }
            }

            ValidateExamples(request.Examples, view.RequestName, issues);
        }

        return issues;
    }

    private static void ValidatePredict(WarmupRequestView request, List<WarmupIssue> issues)
    {
        if (!request.IsSet)
        {
            issues.Add(Error(WarmupErrorKind.ParseError, "predict_log has no request. Set predict_log.request with its inputs."));
            return;
        }

        var inputs = request.Tensors;
        if (inputs.Count == 0)
        {
            issues.Add(Error(WarmupErrorKind.InvalidTensor, "predict request has no inputs. Add the signature's input tensors."));
        }

        foreach (var (name, tensor) in inputs)
        {
            CheckTensor(tensor!, $"input \"{name}\"", issues);
        }
    }

    private static void CheckTensor(TensorProto tensor, string what, List<WarmupIssue> issues)
    {
        try
        {
            TensorProtoConverter.Validate(tensor, what);
        }
        catch (WarmupFormatException ex)
        {
            issues.Add(Error(ex.Kind, ex.Problem));
        }
    }

    private static void ValidateExamples(IReadOnlyList<Example>? list, string what, List<WarmupIssue> issues)
    {
        var examples = list?.Count ?? -1;
        if (examples < 0)
        {
            issues.Add(Error(WarmupErrorKind.ParseError, $"{what} request has no input.example_list. Add the tf.Examples to classify or regress."));
        }
        else if (examples == 0)
        {
            issues.Add(Error(WarmupErrorKind.ParseError, $"{what} request has an empty example list. Add at least one tf.Example."));
        }
    }

    // Far beyond: at least 64 MiB and 1000 times the record's bytes.
    private const decimal ExpansionRatio = 1000;
    private const long ExpansionFloor = 64L << 20;

    private static WarmupIssue? CheckExpansion(WarmupRecord record, TensorLimits limits)
    {
        var expanded = RecordBudget.ExpandedBytes(record.Log);
        if (expanded > limits.MaxRecordBytes)
        {
            return new WarmupIssue(WarmupIssueSeverity.Warning, WarmupErrorKind.InvalidTensor, record.Index, record.Offset,
                $"the record's {record.Length} bytes expand to {RecordBudget.FormatBytes(expanded)} in memory, above the per-record budget of " +
                $"{RecordBudget.FormatBytes(limits.MaxRecordBytes)}: TF Serving allocates it all at load, and Warmup's replay refuses the record. Shrink its shapes.");
        }

        return expanded >= ExpansionFloor && expanded > record.Length * ExpansionRatio
            ? new WarmupIssue(WarmupIssueSeverity.Warning, WarmupErrorKind.InvalidTensor, record.Index, record.Offset,
                $"the record's {record.Length} bytes expand to {RecordBudget.FormatBytes(expanded)} in memory (TensorFlow's fill rule repeats the last value to fill the shape). " +
                "Check that the shapes are meant.")
            : null;
    }

    private static WarmupIssue Error(WarmupErrorKind kind, string message) => new(WarmupIssueSeverity.Error, kind, null, null, message);

    private static WarmupIssue Warning(WarmupErrorKind kind, string message) => new(WarmupIssueSeverity.Warning, kind, null, null, message);
}
