using System.Diagnostics;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Signatures;
using Warmup.Format.Tensors;

namespace Warmup.Format.Tests;

/// <summary>The library's guarantees against hostile paths and records: SafeFile, WarmupFile, RecordBudget, the validator.</summary>
public sealed class HostileFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("warmup-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string Fifo(string name)
    {
        var path = PathOf(name);
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true });
        mkfifo?.WaitForExit();
        Skip.If(mkfifo is null || mkfifo.ExitCode != 0, "mkfifo is not available here");
        return path;
    }

    private static PredictionLog Log(TensorProto x)
    {
        var request = new PredictRequest { ModelSpec = new ModelSpec { Name = "m" } };
        request.Inputs.Add("x", x);
        return new PredictionLog { PredictLog = new PredictLog { Request = request } };
    }

    private static PredictionLog FillRule(long size) =>
        Log(new TensorProto { Dtype = DataType.DtFloat, TensorShape = TensorShapes.ToProto([size]), FloatVal = { 1f } });

    private static T Within<T>(Func<T> action)
    {
        var task = Task.Run(action);
        Assert.True(task.Wait(TimeSpan.FromSeconds(20)), "hung");
        return task.Result;
    }

    [SkippableFact]
    public void Reading_a_fifo_or_device_is_refused_before_it_blocks()
    {
        var fifo = Fifo("requests");
        var ex = Within(() => Assert.Throws<WarmupFormatException>(() => WarmupFile.Read(fifo).ToList()));
        Assert.Equal(WarmupErrorKind.Io, ex.Kind);
        Assert.Contains("FIFO (named pipe), not a regular file", ex.Message, StringComparison.Ordinal);
        Assert.Equal(fifo, ex.FilePath);

        var device = Within(() => Assert.Throws<WarmupFormatException>(() => WarmupFile.Read("/dev/zero").ToList()));
        Assert.Contains("character device", device.Message, StringComparison.Ordinal);

        var model = Within(() => Assert.Throws<ModelSignatureException>(() => ModelSignatureReader.Read(Fifo("model.onnx"), "m")));
        Assert.Contains("FIFO", model.Message, StringComparison.Ordinal);
        Within(() => Assert.Throws<IOException>(() => SafeFile.OpenRead(fifo)));
    }

    [SkippableFact]
    public void Writing_never_replaces_a_special_file_and_leaves_no_temp_file()
    {
        var fifo = Fifo("out");
        var ex = Within(() => Assert.Throws<WarmupFormatException>(() => WarmupFile.Write(fifo, [FillRule(1)])));
        Assert.Contains("refusing to replace it", ex.Message, StringComparison.Ordinal);
        Assert.Equal(SafeFile.FileKind.Fifo, SafeFile.Kind(fifo, followLinks: false));

        var link = PathOf("link_to_fifo");
        File.CreateSymbolicLink(link, fifo);
        Assert.Throws<IOException>(() => SafeFile.WriteAtomic(link, s => s.WriteByte(1)));
        Assert.Throws<IOException>(() => SafeFile.WriteAtomic(_dir, s => s.WriteByte(1)));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void A_link_to_a_regular_file_keeps_the_link_and_replaces_its_target()
    {
        var target = PathOf("target");
        File.WriteAllText(target, "old");
        var link = PathOf("link");
        File.CreateSymbolicLink(link, target);

        Assert.True(WarmupFile.Write(link, [FillRule(2)]).Changed);

        Assert.Equal(target, new FileInfo(link).ResolveLinkTarget(returnFinalTarget: true)!.FullName);
        Assert.Single(WarmupFile.Read(target));
        Assert.False(WarmupFile.Write(link, [FillRule(2)]).Changed);
    }

    [Fact]
    public void A_cancelled_write_removes_its_temp_file_and_keeps_the_old_file()
    {
        var path = PathOf("w");
        WarmupFile.Write(path, [FillRule(1)]);
        var before = File.ReadAllBytes(path);
        using var cancel = new CancellationTokenSource();

        IEnumerable<PredictionLog> Logs()
        {
            yield return FillRule(3);
            cancel.Cancel();
            yield return FillRule(4);
        }

        Assert.ThrowsAny<OperationCanceledException>(() => WarmupFile.Write(path, Logs(), new WarmupWriteOptions { CancellationToken = cancel.Token }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void The_record_budget_counts_the_fill_rule_and_strings_before_allocating()
    {
        var huge = FillRule(268435456);
        Assert.Equal(1L << 30, RecordBudget.ExpandedBytes(huge));
        var ex = Assert.Throws<WarmupFormatException>(() => RecordBudget.Check(huge));
        Assert.Equal(WarmupErrorKind.InvalidTensor, ex.Kind);
        Assert.Contains("expands to 1 GiB in memory", ex.Message, StringComparison.Ordinal);
        RecordBudget.Check(huge, new TensorLimits { MaxRecordBytes = 2L << 30 });

        var strings = Log(new TensorProto { Dtype = DataType.DtString, TensorShape = TensorShapes.ToProto([1000]), StringVal = { Google.Protobuf.ByteString.CopyFromUtf8("abcd") } });
        Assert.Equal(1000 * (4 + TensorLimits.StringElementOverheadBytes), RecordBudget.ExpandedBytes(strings));
        var absurd = Log(new TensorProto { Dtype = DataType.DtFloat, TensorShape = TensorShapes.ToProto([long.MaxValue, long.MaxValue, long.MaxValue]) });
        Assert.Throws<WarmupFormatException>(() => RecordBudget.Check(absurd));
    }

    [Fact]
    public void Validate_warns_when_a_record_expands_far_beyond_its_bytes_or_the_budget()
    {
        var path = PathOf("fill");
        WarmupFile.Write(path, [FillRule(32 << 20), FillRule(100_000_000), FillRule(10)]);

        var report = WarmupValidator.Validate(path);

        Assert.True(report.IsValid);
        Assert.Collection(report.Issues,
            first => Assert.Contains("expand to 128 MiB in memory (TensorFlow's fill rule", first.Message, StringComparison.Ordinal),
            second => Assert.Contains("above the per-record budget of 256 MiB", second.Message, StringComparison.Ordinal));
        Assert.Equal([0L, 1L], report.Issues.Select(i => i.RecordIndex!.Value));
    }
}
