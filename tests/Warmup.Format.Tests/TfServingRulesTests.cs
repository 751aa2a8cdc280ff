using Warmup.Format.Protos.Serving;

namespace Warmup.Format.Tests;

public sealed class TfServingRulesTests : IDisposable
{
    private readonly string _directory = TestData.TempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private WarmupValidationReport ValidateBytes(byte[] bytes)
    {
        var path = Path.Combine(_directory, "tf_serving_warmup_requests");
        File.WriteAllBytes(path, bytes);
        return WarmupValidator.Validate(path);
    }

    [Fact]
    public void Exactly_1000_records_is_valid()
    {
        var report = ValidateBytes(TestData.WarmupFile(1000));
        Assert.Equal(1000, report.Records);
        Assert.Empty(report.Issues);
        Assert.True(report.IsValid);
    }

    [Fact]
    public void Record_1001_is_an_error_at_its_index_and_offset()
    {
        var bytes = TestData.FrameLogs(Enumerable.Range(0, 1001).Select(TestData.SmallPredict).ToArray());
        var offset = TestData.FrameLogs(Enumerable.Range(0, 1000).Select(TestData.SmallPredict).ToArray()).Length;
        var report = ValidateBytes(bytes);
        Assert.Equal(1001, report.Records);
        var issue = Assert.Single(report.Issues);
        Assert.Equal((WarmupIssueSeverity.Error, WarmupErrorKind.TooManyRecords, 1000L, (long)offset),
            (issue.Severity, issue.Kind, issue.RecordIndex!.Value, issue.Offset!.Value));
        Assert.Contains("at most 1000", issue.Message, StringComparison.Ordinal);
        Assert.False(report.IsValid);
    }

    [Fact]
    public void Compressed_file_is_an_error_saying_compressed()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(TestData.WarmupFile(3));
        }

        var issue = Assert.Single(ValidateBytes(buffer.ToArray()).Issues);
        Assert.Equal(WarmupErrorKind.Compressed, issue.Kind);
        Assert.Equal(WarmupIssueSeverity.Error, issue.Severity);
        Assert.Equal((0L, 0L), (issue.RecordIndex!.Value, issue.Offset!.Value));
        Assert.Contains("compressed", issue.Message, StringComparison.Ordinal);
        Assert.Contains("gunzip", issue.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PredictionLog.LogTypeOneofCase.SessionRunLog, 5)]
    [InlineData(PredictionLog.LogTypeOneofCase.PredictStreamedLog, 7)]
    public void Session_run_and_predict_streamed_are_errors_quoting_tf_serving(PredictionLog.LogTypeOneofCase logType, int field)
    {
        var log = logType == PredictionLog.LogTypeOneofCase.SessionRunLog
            ? new PredictionLog { SessionRunLog = new SessionRunLog() }
            : new PredictionLog { PredictStreamedLog = new PredictStreamedLog() };
        Assert.Equal(LogTypeSupport.Rejected, TfServing.GetSupport(logType));
        Assert.Equal(field, TfServing.FieldNumber(logType));

        var issue = Assert.Single(WarmupValidator.ValidateLog(log));
        Assert.Equal((WarmupIssueSeverity.Error, WarmupErrorKind.UnsupportedLogType), (issue.Severity, issue.Kind));
        Assert.Contains($"Unsupported log_type for warmup: {field}", issue.Message, StringComparison.Ordinal);

        var report = ValidateBytes(TestData.FrameLogs(TestData.SmallPredict(0), log));
        Assert.Equal(1, Assert.Single(report.Issues).RecordIndex);
        Assert.False(report.IsValid);
    }

    [Fact]
    public void Unset_log_type_is_a_warning_because_tf_serving_skips_it_silently()
    {
        Assert.Equal(LogTypeSupport.SilentlySkipped, TfServing.GetSupport(PredictionLog.LogTypeOneofCase.None));
        var report = ValidateBytes(TestData.FrameLogs(TestData.SmallPredict(0), new PredictionLog()));
        var issue = Assert.Single(report.Issues);
        Assert.Equal((WarmupIssueSeverity.Warning, WarmupErrorKind.UnsupportedLogType, 1L), (issue.Severity, issue.Kind, issue.RecordIndex!.Value));
        Assert.Contains("runs nothing", issue.Message, StringComparison.Ordinal);
        Assert.True(report.IsValid);
    }

    [Fact]
    public void Partial_header_at_the_end_is_a_warning_because_tf_serving_reads_it_as_end_of_file()
    {
        var valid = TestData.WarmupFile(2);
        var report = ValidateBytes([.. valid, 1, 2, 3, 4, 5]);
        Assert.Equal(2, report.Records);
        var issue = Assert.Single(report.Issues);
        Assert.Equal((WarmupIssueSeverity.Warning, WarmupErrorKind.TruncatedHeader, 2L, (long)valid.Length),
            (issue.Severity, issue.Kind, issue.RecordIndex!.Value, issue.Offset!.Value));
        Assert.True(report.IsValid);

        // A cut inside a record's data is an error: TF Serving fails the load with "truncated record".
        Assert.False(ValidateBytes(valid.AsSpan(0, valid.Length - 3).ToArray()).IsValid);
    }

    [Fact]
    public void Empty_file_is_a_warning()
    {
        var report = ValidateBytes([]);
        Assert.Equal(0, report.Records);
        var issue = Assert.Single(report.Issues);
        Assert.Equal((WarmupIssueSeverity.Warning, WarmupErrorKind.EmptyFile), (issue.Severity, issue.Kind));
        Assert.Contains("replay nothing", issue.Message, StringComparison.Ordinal);
        Assert.True(report.IsValid);
    }

    [Fact]
    public void Every_replayed_log_type_is_valid()
    {
        foreach (var log in new[] { TestData.SmallPredict(0), TestData.Classify(), TestData.Regress(), TestData.MultiInference() })
        {
            Assert.Equal(LogTypeSupport.Replayed, TfServing.GetSupport(log.LogTypeCase));
            Assert.Empty(WarmupValidator.ValidateLog(log));
        }

        Assert.True(ValidateBytes(TestData.FrameLogs(TestData.SmallPredict(0), TestData.Classify(), TestData.Regress(), TestData.MultiInference())).IsValid);
    }

    [Fact]
    public void Requests_without_content_are_errors()
    {
        Assert.Contains(WarmupValidator.ValidateLog(new PredictionLog { PredictLog = new PredictLog() }), i => i.Message.Contains("no request", StringComparison.Ordinal));
        Assert.Contains(WarmupValidator.ValidateLog(new PredictionLog { PredictLog = new PredictLog { Request = new PredictRequest() } }),
            i => i.Message.Contains("no inputs", StringComparison.Ordinal));
        Assert.Contains(WarmupValidator.ValidateLog(new PredictionLog { ClassifyLog = new ClassifyLog { Request = new ClassificationRequest() } }),
            i => i.Message.Contains("no input.example_list", StringComparison.Ordinal));
        Assert.Contains(WarmupValidator.ValidateLog(new PredictionLog { RegressLog = new RegressLog { Request = new RegressionRequest { Input = new Input { ExampleList = new ExampleList() } } } }),
            i => i.Message.Contains("empty example list", StringComparison.Ordinal));
        var badTask = TestData.MultiInference();
        badTask.MultiInferenceLog.Request.Tasks[0].MethodName = TfServing.PredictMethod;
        Assert.Contains(WarmupValidator.ValidateLog(badTask), i => i.Severity == WarmupIssueSeverity.Error && i.Message.Contains(TfServing.PredictMethod, StringComparison.Ordinal));
    }

    [Fact]
    public void Check_record_hook_adds_findings_and_a_missing_file_is_reported_not_thrown()
    {
        var path = Path.Combine(_directory, "w");
        WarmupFile.Write(path, [TestData.SmallPredict(0), TestData.SmallPredict(1)]);
        var report = WarmupValidator.Validate(path, r => r.Index == 1
            ? [new WarmupIssue(WarmupIssueSeverity.Error, WarmupErrorKind.InvalidTensor, r.Index, r.Offset, "signature mismatch")]
            : []);
        Assert.Equal(1, Assert.Single(report.Issues).RecordIndex);

        var missing = WarmupValidator.Validate(Path.Combine(_directory, "missing"));
        Assert.Equal(WarmupErrorKind.Io, Assert.Single(missing.Issues).Kind);
        Assert.False(missing.IsValid);
    }

    [Fact]
    public void Paths_signatures_and_names_follow_tf_serving()
    {
        Assert.Equal(Path.Combine("/models", "m", "7", "assets.extra", "tf_serving_warmup_requests"), TfServing.GetWarmupFilePath("/models", "m", 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => TfServing.GetWarmupFilePath("/models", "m", 0));
        Assert.Equal("serving_default", TfServing.ResolveSignatureName(""));
        Assert.Equal("serving_default", TfServing.ResolveSignatureName(null));
        Assert.Equal("x", TfServing.ResolveSignatureName("x"));
        Assert.False(TfServing.IsServingSignatureKey("__saved_model_init_op"));
        Assert.True(TfServing.IsServingSignatureKey("serving_default"));
        Assert.True(TfServing.IsServingSignatureKey("_single_underscore"));
        Assert.Equal("multiInference", TfServing.LogTypeName(PredictionLog.LogTypeOneofCase.MultiInferenceLog));
        Assert.Equal("m", TfServing.GetModelSpec(TestData.SmallPredict(0))!.Name);
        Assert.Null(TfServing.GetModelSpec(new PredictionLog()));
    }
}
