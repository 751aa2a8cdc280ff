// Benchmark of Warmup.Format's codec: read+verify+parse and write throughput of 1000-record files with 256 KiB float
// tensors (as tensor_content and as float_val), next to baselines measured in the same run, and peak memory while reading.
// Figures are ratios against the baselines, so they mean the same on any machine. Not a test: nothing is asserted.
using System.Diagnostics;
using System.Globalization;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Format.TfRecord;

const int Records = 1000;
const int FloatsPerRecord = 256 * 1024 / sizeof(float);
var repeats = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;

var directory = Path.Combine(Path.GetTempPath(), $"warmup-bench-format-{Environment.ProcessId}");
Directory.CreateDirectory(directory);
try
{
    var values = Enumerable.Range(0, FloatsPerRecord).Select(i => MathF.Sin(i) * 100).ToArray();
    var contentPath = Path.Combine(directory, "tensor_content");
    var floatValPath = Path.Combine(directory, "float_val");

    Console.WriteLine($"Warmup.Format benchmark: {Records} records of {FloatsPerRecord} floats (256 KiB) each; best of {repeats} rounds (writes), {repeats * 3} (reads).");
    Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} logical CPUs, {RuntimeInformationText()}");
    Console.WriteLine();

    // --- Write ---------------------------------------------------------------------------------------------------------
    // WarmupFile.Write: validation, deterministic serialization, framing with both CRCs, temp file + fsync + rename.
    // Baseline: copying the finished file to a new file with the same fsync.
    var copyPath = Path.Combine(directory, "copy");
    WarmupFile.Write(contentPath, Logs(values, asFloatVal: false));
    var writes = Rounds(repeats,
        ("copy", () =>
        {
            using var source = File.OpenRead(contentPath);
            using (var target = new FileStream(copyPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                source.CopyTo(target);
                target.Flush(flushToDisk: true);
            }

            return source.Length;
        }),
        ("content", () => WarmupFile.Write(contentPath, Logs(values, asFloatVal: false), new WarmupWriteOptions { PreserveUnchanged = false }).Bytes),
        ("floatval", () => WarmupFile.Write(floatValPath, Logs(values, asFloatVal: true), new WarmupWriteOptions { PreserveUnchanged = false }).Bytes));
    File.Delete(copyPath);
    var writeBaseline = writes["copy"];
    var writeContent = writes["content"];
    var writeFloatVal = writes["floatval"];

    // --- Read ----------------------------------------------------------------------------------------------------------
    // Every variant runs once per round, round after round, and keeps its best time: on a busy machine the baseline and
    // the codec then see the same conditions, so the ratios hold even when the absolute figures move.
    var fileBytes = new FileInfo(contentPath).Length;
    var crcInMemory = new byte[TfRecordWriter.FramingBytes + 256 * 1024 + 64];
    Random.Shared.NextBytes(crcInMemory);
    var reads = Rounds(repeats * 3,
        ("copy", () =>
        {
            using var source = new FileStream(contentPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            source.CopyTo(Stream.Null, 1 << 20);
            return source.Length;
        }),
        ("crc", () =>
        {
            // One record-sized buffer, CRC'd as many times as the file has records: the CRC's own speed on cached data.
            uint crc = 0;
            for (var i = 0; i < Records; i++)
            {
                crc = MaskedCrc32C.Append(crc, crcInMemory);
            }

            GC.KeepAlive(crc);
            return (long)crcInMemory.Length * Records;
        }),
        ("framing", () => ReadFraming(contentPath)),
        ("content", () => ReadParse(contentPath, decode: false)),
        ("content whole", () => ReadWholeThenParse(contentPath)),
        ("floatval", () => ReadParse(floatValPath, decode: false)),
        ("content+decode", () => ReadParse(contentPath, decode: true)),
        ("floatval+decode", () => ReadParse(floatValPath, decode: true)));
    var copyBaseline = reads["copy"];
    var crcBaseline = reads["crc"];
    var framingOnly = reads["framing"];
    var readContent = reads["content"];
    var readContentWhole = reads["content whole"];
    var readFloatVal = reads["floatval"];
    var decodeContent = reads["content+decode"];
    var decodeFloatVal = reads["floatval+decode"];

    Console.WriteLine("| operation | MB/s | × Stream.CopyTo read | notes |");
    Console.WriteLine("|---|---:|---:|---|");
    Row("baseline: FileStream.CopyTo(Stream.Null), 1 MiB buffer", copyBaseline, copyBaseline, "page-cached file");
    Row("baseline: CRC-32C of a cached 256 KiB record", crcBaseline, copyBaseline, "MaskedCrc32C alone");
    Row("TfRecordReader: read + verify both CRCs", framingOnly, copyBaseline, "tensor_content file");
    Row("WarmupFile.Read: read + verify + parse, tensor_content", readContent, copyBaseline, "the target: ≥ 2 GB/s and ≥ 25% of copy");
    Row("same, each record read whole first, then parsed", readContentWhole, copyBaseline, "TfRecordReader.MoveNext + WarmupFile.ParseRecord: how WarmupFile.Read worked before");
    Row("WarmupFile.Read: read + verify + parse, float_val", readFloatVal, copyBaseline, "");
    Row("… + TensorProtoConverter.ToTensorData, tensor_content", decodeContent, copyBaseline, "float[] per record");
    Row("… + TensorProtoConverter.ToTensorData, float_val", decodeFloatVal, copyBaseline, "float[] per record");
    Console.WriteLine();
    Console.WriteLine("| write | MB/s | × copy-to-file baseline |");
    Console.WriteLine("|---|---:|---:|");
    Row("baseline: FileStream.CopyTo(new file) + fsync", writeBaseline, writeBaseline, null);
    Row("WarmupFile.Write, tensor_content (atomic, fsync)", writeContent, writeBaseline, null);
    Row("WarmupFile.Write, float_val (atomic, fsync)", writeFloatVal, writeBaseline, null);
    Console.WriteLine();

    // --- Memory --------------------------------------------------------------------------------------------------------
    Console.WriteLine("| file | how | largest record | peak live managed memory | × largest record | allocated per record | working set growth |");
    Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
    foreach (var (name, path) in new[] { ("tensor_content", contentPath), ("float_val", floatValPath) })
    {
        foreach (var (how, read) in new (string, Action<Stream, string, Action<int>>)[] { ("WarmupFile.Read (parsed as it streams)", ReadStreamed), ("read whole, then parsed", ReadWhole) })
        {
            var memory = MeasureMemory(path, read);
            double Times(long bytes) => (double)bytes / memory.LargestRecord;
            Console.WriteLine($"| {name} | {how} | {memory.LargestRecord:N0} B | {memory.PeakLive:N0} B | **{Times(memory.PeakLive):F3}×** | " +
                $"{Times(memory.AllocatedPerRecord):F2}× | {memory.WorkingSetGrowth / (1 << 20):N0} MiB for {fileBytes / (1 << 20):N0} MiB |");
        }
    }
}
finally
{
    Directory.Delete(directory, recursive: true);
}

static IEnumerable<PredictionLog> Logs(float[] values, bool asFloatVal)
{
    for (var i = 0; i < Records; i++)
    {
        values[0] = i; // every record differs
        TensorProto tensor;
        if (asFloatVal)
        {
            tensor = new TensorProto { Dtype = DataType.DtFloat, TensorShape = TensorShapes.ToProto([1, FloatsPerRecord]) };
            tensor.FloatVal.AddRange(values);
        }
        else
        {
            tensor = TensorProtoConverter.FromArray(values, 1, FloatsPerRecord);
        }

        var request = new PredictRequest { ModelSpec = new ModelSpec { Name = "bench", SignatureName = "serving_default" } };
        request.Inputs.Add("x", tensor);
        yield return new PredictionLog { PredictLog = new PredictLog { Request = request } };
    }
}

static long ReadFraming(string path)
{
    using var reader = new TfRecordReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096), path);
    long bytes = 0;
    while (reader.MoveNext())
    {
        bytes += reader.Current.Length + TfRecordWriter.FramingBytes;
    }

    return bytes;
}

static long ReadParse(string path, bool decode)
{
    long bytes = 0;
    foreach (var record in WarmupFile.Read(path))
    {
        bytes += record.Length + TfRecordWriter.FramingBytes;
        if (decode)
        {
            GC.KeepAlive(TensorProtoConverter.ToTensorData(record.Log.PredictLog.Request.Inputs["x"]));
        }
    }

    return bytes;
}

static long ReadWholeThenParse(string path)
{
    using var reader = new TfRecordReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096), path);
    long bytes = 0;
    while (reader.MoveNext())
    {
        var entry = reader.Current;
        GC.KeepAlive(WarmupFile.ParseRecord(entry.Data.Span, entry.Index, entry.Offset, path));
        bytes += entry.Length + TfRecordWriter.FramingBytes;
    }

    return bytes;
}

// The two ways of reading that the memory section compares; each calls onRecord while the parsed record is alive, and
// keeps no record alive while reading the next.
static void ReadStreamed(Stream stream, string path, Action<int> onRecord)
{
    using var enumerator = WarmupFile.Read(stream, path).GetEnumerator();
    while (enumerator.MoveNext())
    {
        onRecord(enumerator.Current.Length);
    }
}

static void ReadWhole(Stream stream, string path, Action<int> onRecord)
{
    using var reader = new TfRecordReader(stream, path, leaveOpen: true);
    while (reader.MoveNext())
    {
        var entry = reader.Current;
        var log = WarmupFile.ParseRecord(entry.Data.Span, entry.Index, entry.Offset, path);
        onRecord(entry.Length);
        GC.KeepAlive(log);
    }
}

// Memory while reading. Peak live managed memory: the managed heap after a full collection, minus the heap before the
// file was opened, sampled at every read the reader makes from the file (header; the whole payload, or each window of it
// while it is parsed as it streams in, by then with the parsed record's large fields already allocated at full size; CRC)
// and after each record is parsed (reader's buffer and parsed record both alive; the previous record is released), for
// every 25th record; the largest sample, relative to the largest record, is the figure. Allocation per record comes from
// GC.GetAllocatedBytesForCurrentThread; the working set growth from the process, as a cross-check.
static (long LargestRecord, long PeakLive, long AllocatedPerRecord, long WorkingSetGrowth) MeasureMemory(string path, Action<Stream, string, Action<int>> read)
{
    using var process = Process.GetCurrentProcess();
    process.Refresh();
    var workingSetBefore = process.WorkingSet64;
    var peakWorkingSet = workingSetBefore;
    var seen = 0;
    using (var plain = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096))
    {
        read(plain, path, _ =>
        {
            if (seen++ % 25 == 0)
            {
                process.Refresh();
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
            }
        });
    }

    long peak = 0, largest = 0, records = 0;
    var sampling = true;
    var before = GC.GetTotalMemory(forceFullCollection: true);
    void Sample() => peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - before);
    using var file = new ProbeStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096), () =>
    {
        if (sampling)
        {
            Sample();
        }
    });
    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    read(file, path, length =>
    {
        largest = Math.Max(largest, length + TfRecordWriter.FramingBytes);
        if (sampling)
        {
            Sample();
        }

        sampling = ++records % 25 == 0;
    });

    var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    return (largest, peak, allocated / records, peakWorkingSet - workingSetBefore);
}

static Dictionary<string, (long Bytes, double Seconds)> Rounds(int rounds, params (string Name, Func<long> Run)[] variants)
{
    foreach (var (_, run) in variants)
    {
        run(); // warm-up: JIT, page cache
    }

    var best = variants.ToDictionary(v => v.Name, _ => (Bytes: 0L, Seconds: double.MaxValue));
    for (var round = 0; round < rounds; round++)
    {
        foreach (var (name, run) in variants)
        {
            var clock = Stopwatch.StartNew();
            var bytes = run();
            var seconds = clock.Elapsed.TotalSeconds;
            if (seconds < best[name].Seconds)
            {
                best[name] = (bytes, seconds);
            }
        }
    }

    return best;
}

static void Row(string name, (long Bytes, double Seconds) result, (long Bytes, double Seconds) baseline, string? notes)
{
    var rate = result.Bytes / result.Seconds / 1e6;
    var baseRate = baseline.Bytes / baseline.Seconds / 1e6;
    var line = $"| {name} | {rate:N0} | {rate / baseRate:F2} |";
    Console.WriteLine(notes is null ? line : $"{line} {notes} |");
}

static string RuntimeInformationText() =>
    $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, CRC32 instruction: " +
    (System.Runtime.Intrinsics.X86.Sse42.X64.IsSupported || System.Runtime.Intrinsics.Arm.Crc32.Arm64.IsSupported ? "yes" : "no");

/// <summary>A read-only pass-through stream that calls <c>onRead</c> before every read (the memory sampling points).</summary>
internal sealed class ProbeStream(Stream inner, Action onRead) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        onRead();
        return inner.Read(buffer);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
