using System.Security.Cryptography;
using Google.Protobuf;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format.Tests;

public sealed class WarmupFileTests : IDisposable
{
    private readonly string _directory = TestData.TempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static PredictionLog[] MixedLogs() =>
        [TestData.SmallPredict(1), TestData.Classify(), TestData.Regress(), TestData.MultiInference(), TestData.SmallPredict(2)];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Round_trip_gives_identical_messages_and_identical_bytes(bool seekable)
    {
        var logs = MixedLogs();
        var path = PathOf("tf_serving_warmup_requests");
        var result = WarmupFile.Write(path, logs);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new WarmupWriteResult(path, logs.Length, bytes.Length, Changed: true), result);

        var records = TestData.ReadAll(bytes, seekable);
        Assert.Equal(logs, records.Select(r => r.Log));
        Assert.Equal(Enumerable.Range(0, logs.Length).Select(i => (long)i), records.Select(r => r.Index));
        Assert.Equal(logs.Select(l => l.CalculateSize()), records.Select(r => r.Length));

        // Writing what was read gives the same bytes, to a stream and to a file.
        using var again = new MemoryStream();
        Assert.Equal(logs.Length, WarmupFile.Write(again, records.Select(r => r.Log)));
        Assert.Equal(bytes, again.ToArray());
        WarmupFile.Write(PathOf("copy"), WarmupFile.Read(path).Select(r => r.Log));
        Assert.Equal(bytes, File.ReadAllBytes(PathOf("copy")));
    }

    [Fact]
    public async Task Async_read_gives_the_same_records_and_honours_cancellation()
    {
        var path = PathOf("w");
        WarmupFile.Write(path, MixedLogs());
        var records = new List<WarmupRecord>();
        await foreach (var record in WarmupFile.ReadAsync(path))
        {
            records.Add(record);
        }

        Assert.Equal(WarmupFile.Read(path), records);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in WarmupFile.ReadAsync(new NonSeekableStream(File.ReadAllBytes(path)), "w", cancellationToken: cancelled.Token))
            {
            }
        });
    }

    [Fact]
    public void Each_enumeration_reads_the_file_from_its_start_and_a_missing_file_fails_at_the_call()
    {
        var path = PathOf("w");
        WarmupFile.Write(path, MixedLogs());
        var records = WarmupFile.Read(path);
        Assert.Equal(MixedLogs(), records.Select(r => r.Log));
        Assert.Equal(MixedLogs(), records.Select(r => r.Log));

        var missing = PathOf("missing");
        Assert.Equal(WarmupErrorKind.Io, Assert.Throws<WarmupFormatException>(() => WarmupFile.Read(missing)).Kind);
        Assert.Equal(WarmupErrorKind.Io, Assert.Throws<WarmupFormatException>(() => WarmupFile.ReadAsync(missing)).Kind);
    }

    [Fact]
    public async Task The_previous_record_is_released_before_the_next_one_is_read()
    {
        var bytes = TestData.WarmupFile(3);
        foreach (var async in new[] { false, true })
        {
            var stream = new ProbeStream(bytes);
            WeakReference? previous = null;
            var aliveDuringRead = false;
            stream.OnRead = () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                aliveDuringRead |= previous?.IsAlive == true;
            };

            // The enumerators are driven by hand so that this method never holds a record itself.
            var count = 0;
            if (async)
            {
                await using var records = WarmupFile.ReadAsync(stream, "probe").GetAsyncEnumerator();
                while (await records.MoveNextAsync())
                {
                    previous = Track(records);
                    count++;
                }
            }
            else
            {
                using var records = WarmupFile.Read(stream, "probe").GetEnumerator();
                while (records.MoveNext())
                {
                    previous = Track(records);
                    count++;
                }
            }

            Assert.Equal(3, count);
            Assert.False(aliveDuringRead, $"a previous record was still referenced while the next was read (async: {async})");
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference Track(IEnumerator<WarmupRecord> records) => new(records.Current.Log);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference Track(IAsyncEnumerator<WarmupRecord> records) => new(records.Current.Log);

    private sealed class ProbeStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public Action? OnRead { get; set; }

        public override int Read(Span<byte> buffer)
        {
            OnRead?.Invoke();
            return base.Read(buffer);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            OnRead?.Invoke();
            return base.Read(buffer, offset, count);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            OnRead?.Invoke();
            return base.ReadAsync(buffer, cancellationToken);
        }
    }

    [Fact]
    public void Maps_inserted_in_different_orders_give_the_same_bytes()
    {
        var a = TensorProtoConverter.FromArray(new[] { 1f, 2f }, 2);
        var b = TensorProtoConverter.FromArray(new[] { 3L }, 1);
        var c = TensorProtoConverter.FromStrings(new[] { "c" }, 1);
        var forward = TestData.Predict("m", ("a", a), ("b", b), ("c", c));
        var backward = TestData.Predict("m", ("c", c), ("b", b), ("a", a));
        var shuffled = TestData.Predict("m", ("b", b), ("a", a), ("c", c));
        // Maps nested in responses and in tf.Example features are sorted too.
        foreach (var log in new[] { forward, backward, shuffled })
        {
            log.PredictLog.Response = new PredictResponse();
            foreach (var key in log.PredictLog.Request.Inputs.Keys.Reverse())
            {
                log.PredictLog.Response.Outputs.Add("out_" + key, a);
            }
        }

        Assert.NotEqual(forward.ToByteArray(), backward.ToByteArray());
        Assert.Equal(forward, backward);
        var expected = DeterministicProto.Serialize(forward);
        Assert.Equal(expected, DeterministicProto.Serialize(backward));
        Assert.Equal(expected, DeterministicProto.Serialize(shuffled));

        // Serialization does not reorder the caller's message.
        Assert.Equal(["c", "b", "a"], backward.PredictLog.Request.Inputs.Keys);

        // Keys sort by ordinal (UTF-16 code unit) order, not culture order.
        var cased = TestData.Predict("m", ("b", a), ("B", a), ("a", a), ("é", a), ("Z", a));
        var parsed = PredictionLog.Parser.ParseFrom(DeterministicProto.Serialize(cased));
        Assert.Equal(["B", "Z", "a", "b", "é"], parsed.PredictLog.Request.Inputs.Keys);
    }

    [Fact]
    public void Example_feature_maps_are_sorted()
    {
        var one = TestData.Classify();
        var features = one.ClassifyLog.Request.Input.ExampleList.Examples[0].Features.Feature;
        features.Add("a", new Feature { Int64List = new Int64List { Value = { 1 } } });
        var two = TestData.Classify();
        var otherFeatures = two.ClassifyLog.Request.Input.ExampleList.Examples[0].Features.Feature;
        otherFeatures.Clear();
        otherFeatures.Add("a", new Feature { Int64List = new Int64List { Value = { 1 } } });
        otherFeatures.Add("x", new Feature { FloatList = new FloatList { Value = { 1f } } });

        Assert.NotEqual(one.ToByteArray(), two.ToByteArray());
        Assert.Equal(DeterministicProto.Serialize(one), DeterministicProto.Serialize(two));
    }

    [Fact]
    public void Record_bytes_match_what_tensorflow_serving_api_python_writes()
    {
        // PredictionLog(predict_log=PredictLog(request=PredictRequest(model_spec=ModelSpec(name="m"),
        //   inputs={"x": tf.make_tensor_proto(np.float32([2]))}))).SerializeToString(): fields in number order, map entries
        // as {key = 1, value = 2}.
        var log = TestData.Predict("m", ("x", TensorProtoConverter.FromArray(new[] { 2f }, 1)));
        log.PredictLog.Request.ModelSpec.SignatureName = "";
        const string Expected = "321c0a1a0a030a016d12130a0178120e0801120412020801" + "2a0400000040";
        Assert.Equal(Expected, TestData.ToHex(DeterministicProto.Serialize(log)));

        // Framed: length 30, its masked CRC, the payload, the payload's masked CRC.
        using var buffer = new MemoryStream();
        WarmupFile.Write(buffer, [log]);
        var file = buffer.ToArray();
        Assert.Equal("1e00000000000000", TestData.ToHex(file[..8]));
        Assert.Equal(Expected, TestData.ToHex(file[12..42]));
        Assert.Equal(46, file.Length);
    }

    [Fact]
    public void Fields_are_written_in_field_number_order_even_when_declared_otherwise()
    {
        // ModelSpec declares version_label (4) inside its oneof before signature_name (3); TF writes 1, 3, 4.
        var spec = new ModelSpec { Name = "m", VersionLabel = "l", SignatureName = "s" };
        Assert.Equal("0a016d" + "1a0173" + "22016c", TestData.ToHex(spec.ToByteArray()));
        var versioned = new ModelSpec { Name = "m", Version = 7, SignatureName = "s" };
        Assert.Equal("0a016d" + "12020807" + "1a0173", TestData.ToHex(versioned.ToByteArray()));

        // A set but empty submessage is written as tag + length 0 (an empty Example in a list is 0a 00).
        var list = new ExampleList { Examples = { new Example() } };
        Assert.Equal("0a00", TestData.ToHex(list.ToByteArray()));
    }

    [Fact]
    public void Same_logs_give_the_same_bytes_across_runs()
    {
        // A golden digest: any change in serialization order, framing or CRC between runs or versions changes it.
        using var buffer = new MemoryStream();
        WarmupFile.Write(buffer, MixedLogs());
        var digest = Convert.ToHexString(SHA256.HashData(buffer.ToArray()));
        Assert.True(digest == GoldenDigest, $"the bytes changed: SHA-256 is now {digest}");
    }

    // SHA-256 of Write(MixedLogs()), recorded once; a deliberate format change updates it with an explanation.
    private const string GoldenDigest = "D7BADB66FE0E26C78F0B3D4FBEFB400F57F2983267726CB25254487EED6DF449";

    [Fact]
    public void Unchanged_content_keeps_the_file_and_its_timestamp()
    {
        var path = PathOf("w");
        WarmupFile.Write(path, MixedLogs());
        var stamp = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, stamp);

        var result = WarmupFile.Write(path, MixedLogs());
        Assert.False(result.Changed);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
        AssertNoTempFiles();

        var changed = WarmupFile.Write(path, MixedLogs().Take(2));
        Assert.True(changed.Changed);
        Assert.NotEqual(stamp, File.GetLastWriteTimeUtc(path));
        Assert.Equal(2, WarmupFile.Read(path).Count());

        // Opting out rewrites even identical content.
        File.SetLastWriteTimeUtc(path, stamp);
        Assert.True(WarmupFile.Write(path, MixedLogs().Take(2), new WarmupWriteOptions { PreserveUnchanged = false }).Changed);
        Assert.NotEqual(stamp, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void Invalid_record_leaves_the_existing_file_untouched_and_no_temp_file()
    {
        var path = PathOf("w");
        WarmupFile.Write(path, MixedLogs());
        var before = File.ReadAllBytes(path);
        var stamp = File.GetLastWriteTimeUtc(path);

        var logs = MixedLogs().Append(new PredictionLog { SessionRunLog = new SessionRunLog() });
        var error = Assert.Throws<WarmupFormatException>(() => WarmupFile.Write(path, logs));
        Assert.Equal(WarmupErrorKind.UnsupportedLogType, error.Kind);
        Assert.Equal(5, error.RecordIndex);
        Assert.Equal(path, error.FilePath);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
        AssertNoTempFiles();
    }

    [Fact]
    public void Throwing_enumerable_leaves_the_existing_file_untouched_and_no_temp_file()
    {
        var path = PathOf("w");
        WarmupFile.Write(path, MixedLogs());
        var before = File.ReadAllBytes(path);

        IEnumerable<PredictionLog> Failing()
        {
            yield return TestData.SmallPredict(9);
            throw new InvalidOperationException("sample failed");
        }

        var error = Assert.Throws<InvalidOperationException>(() => WarmupFile.Write(path, Failing()));
        Assert.Equal("sample failed", error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        AssertNoTempFiles();
    }

    [Fact]
    public void Failure_on_a_new_path_creates_nothing()
    {
        var path = PathOf("sub/dir/w");
        Assert.Throws<WarmupFormatException>(() => WarmupFile.Write(path, Enumerable.Repeat(TestData.SmallPredict(0), 1001)));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void Write_limit_is_tf_servings_1000_and_exactly_1000_is_fine()
    {
        var path = PathOf("w");
        var result = WarmupFile.Write(path, Enumerable.Range(0, 1000).Select(TestData.SmallPredict));
        Assert.Equal(1000, result.Records);
        Assert.Equal(1000, WarmupFile.Read(path).Count());

        var error = Assert.Throws<WarmupFormatException>(() => WarmupFile.Write(path, Enumerable.Range(0, 1001).Select(TestData.SmallPredict)));
        Assert.Equal(WarmupErrorKind.TooManyRecords, error.Kind);
        Assert.Equal(1000, error.RecordIndex);
        Assert.Equal(new FileInfo(path).Length, error.ByteOffset);
    }

    [Fact]
    public void Unwritable_target_is_a_format_exception_naming_the_path()
    {
        // The target is a directory: the rename fails, and the temp file is cleaned up.
        var path = PathOf("target");
        Directory.CreateDirectory(path);
        var error = Assert.Throws<WarmupFormatException>(() => WarmupFile.Write(path, MixedLogs()));
        Assert.Equal(WarmupErrorKind.Io, error.Kind);
        Assert.StartsWith($"{path}: cannot write the warmup file", error.Message, StringComparison.Ordinal);
        AssertNoTempFiles();
    }

    [Fact]
    public void Write_refuses_nothing_that_tf_serving_accepts_with_validation_off()
    {
        var path = PathOf("w");
        var skipped = new PredictionLog();
        Assert.Equal(1, WarmupFile.Write(path, [skipped]).Records);
        var withSessionRun = new PredictionLog { SessionRunLog = new SessionRunLog() };
        Assert.Equal(1, WarmupFile.Write(path, [withSessionRun], new WarmupWriteOptions { Validate = false }).Records);
        Assert.Equal(withSessionRun, Assert.Single(WarmupFile.Read(path)).Log);
    }

    private void AssertNoTempFiles() =>
        Assert.Empty(Directory.EnumerateFiles(_directory, "*.tmp", SearchOption.AllDirectories));
}
