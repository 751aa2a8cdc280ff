using System.Buffers.Binary;
using System.Diagnostics;
using CsCheck;
using Google.Protobuf;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Format.TfRecord;

namespace Warmup.Format.Tests;

/// <summary>
/// Property tests: mutated warmup files (bit flips, truncations, splices, lying length fields, garbage payloads behind
/// valid CRCs) either read successfully or raise <see cref="WarmupFormatException"/>: never another exception type, never a
/// hang, never an allocation sized by a length field.
/// </summary>
public class MutationPropertyTests
{
    private const int Iterations = 25_000;

    // A file budget for one case: generous for the few-KB inputs, far below any lying length field.
    private const long AllocationBudget = 32L << 20;

    private static readonly TensorLimits TightLimits = new() { MaxElements = 1 << 20, MaxBytes = 4 << 20 };

    private static readonly PredictionLog[] Logs = BuildLogs();
    private static readonly byte[][] Payloads = Logs.Select(DeterministicProto.Serialize).ToArray();
    private static readonly byte[] ValidFile = TestData.Frame(Payloads);
    private static readonly byte[] OtherFile = TestData.Frame(Payloads.Reverse().Skip(1).ToArray());

    private static PredictionLog[] BuildLogs()
    {
        var tensors = TestData.Predict("m",
            ("f", TensorProtoConverter.FromArray(Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray(), 3, 4)),
            ("h", TensorProtoConverter.FromArray(new[] { (Half)1, (Half)2 }, 2)),
            ("b", TensorProtoConverter.FromArray(new[] { true, false }, 1, 2)),
            ("i", new TensorProto { Dtype = DataType.DtInt32, TensorShape = TensorShapes.ToProto([2, 2]), IntVal = { 7 } }),
            ("s", TensorProtoConverter.FromStrings(new[] { "a", "bc" }, 2)));
        return [TestData.SmallPredict(3), tensors, TestData.Classify(), TestData.Regress(), TestData.MultiInference(), new PredictionLog()];
    }

    private enum Mutation { BitFlips, Truncate, Splice, LyingLength, GarbagePayload, PayloadByteEdits, InsertDelete }

    private static readonly Gen<(Mutation Kind, int Seed)> Cases = Gen.Select(Gen.Enum<Mutation>(), Gen.Int);

    [Fact]
    public void Mutated_files_give_only_format_exceptions_and_stay_bounded()
    {
        var outcomes = new int[2];
        Cases.Sample((Mutation kind, int seed) =>
        {
            var file = Mutate(kind, seed);
            var ok = Exercise(file, seekable: true);
            Assert.Equal(ok, Exercise(file, seekable: false));
            Assert.Equal(ok, Exercise(file, seekable: false, async: true));
            Interlocked.Increment(ref outcomes[ok ? 0 : 1]);
        }, iter: Iterations, print: c => Describe(c.Item1, c.Item2));

        // Both outcomes must occur, or the mutations are not exercising what they claim to.
        Assert.True(outcomes[0] > Iterations / 50, $"only {outcomes[0]} mutated files read successfully");
        Assert.True(outcomes[1] > Iterations / 2, $"only {outcomes[1]} mutated files were rejected");
    }

    [Fact]
    public void Huge_lying_lengths_on_non_seekable_streams_never_allocate_their_size()
    {
        var gen = Gen.Select(Gen.Int[0, Payloads.Length - 1], Gen.ULong, Gen.Int[0, 2]);
        gen.Sample((int record, ulong length, int scale) =>
        {
            // Spread the lengths over every magnitude, including just below and above the 2 GiB record limit.
            var lie = scale switch { 0 => length, 1 => length >> 32, _ => (ulong)int.MaxValue - (length & 0xFFFF) };
            var file = WithLength(ValidFile, record, lie);
            Exercise(file, seekable: false);
            Exercise(file, seekable: false, async: true);
            Exercise(file, seekable: true);
        }, iter: 3000);
    }

    [Fact]
    public void Streamed_parse_gives_the_same_records_and_errors_as_reading_each_record_whole()
    {
        // Synchronous reads of a seekable stream parse each record as it streams in, a window at a time; asynchronous reads
        // read the record whole first. Windows of a few bytes put piece boundaries everywhere; both must agree exactly.
        var gen = Gen.Select(Gen.Enum<Mutation>(), Gen.Int, Gen.Int[1, 300]);
        gen.Sample((Mutation kind, int seed, int window) =>
        {
            var file = Mutate(kind, seed);
            Assert.Equal(Outcome(file, window, async: true), Outcome(file, window, async: false));
        }, iter: Iterations / 5, print: c => $"window {c.Item3}, {Describe(c.Item1, c.Item2)}");
    }

    private static string Outcome(byte[] file, int window, bool async)
    {
        var options = new WarmupReadOptions { Framing = new TfRecordReaderOptions { StreamingWindowBytes = window } };
        try
        {
            using var stream = new MemoryStream(file, writable: false);
            var records = async ? WarmupFile.ReadAsync(stream, "mutated", options).ToBlockingEnumerable() : WarmupFile.Read(stream, "mutated", options);
            return string.Join("\n", records.Select(r => $"{r.Index} {r.Offset} {r.Length} {Convert.ToHexString(r.Log.ToByteArray())}"));
        }
        catch (WarmupFormatException ex)
        {
            return $"{ex.Kind}: {ex.Message}";
        }
    }

    private static string Describe(Mutation kind, int seed)
    {
        var file = Mutate(kind, seed);
        return $"{kind} seed {seed}, {file.Length} bytes: {Convert.ToHexString(file.AsSpan(0, Math.Min(64, file.Length)))}…";
    }

    // Reads the file fully, decoding every tensor; true when it is accepted. Any exception but WarmupFormatException fails.
    private static bool Exercise(byte[] file, bool seekable, bool async = false)
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        bool accepted;
        try
        {
            using Stream stream = seekable ? new MemoryStream(file, writable: false) : new NonSeekableStream(file, maxRead: 700);
            var records = async ? WarmupFile.ReadAsync(stream, "mutated").ToBlockingEnumerable() : WarmupFile.Read(stream, "mutated");
            foreach (var record in records)
            {
                _ = WarmupValidator.ValidateLog(record.Log).Count();
                if (record.Log.PredictLog?.Request is { } request)
                {
                    foreach (var (name, tensor) in request.Inputs)
                    {
                        try
                        {
                            TensorProtoConverter.ToTensorData(tensor, name, TightLimits);
                        }
                        catch (WarmupFormatException)
                        {
                        }
                    }
                }
            }

            accepted = true;
        }
        catch (WarmupFormatException ex)
        {
            Assert.Equal("mutated", ex.FilePath);
            Assert.NotNull(ex.RecordIndex);
            Assert.NotNull(ex.ByteOffset);
            Assert.InRange(ex.ByteOffset!.Value, 0, file.Length);
            accepted = false;
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"reading took {clock.Elapsed}");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.True(allocated < AllocationBudget, $"allocated {allocated} bytes for a {file.Length}-byte file");
        return accepted;
    }

    private static byte[] Mutate(Mutation kind, int seed)
    {
        var random = new Random(seed);
        var file = (byte[])ValidFile.Clone();
        switch (kind)
        {
            case Mutation.BitFlips:
                for (var i = random.Next(1, 9); i > 0; i--)
                {
                    file[random.Next(file.Length)] ^= (byte)(1 << random.Next(8));
                }

                return file;
            case Mutation.Truncate:
                return file.AsSpan(0, random.Next(file.Length)).ToArray();
            case Mutation.Splice:
                return file.AsSpan(0, random.Next(file.Length + 1)).ToArray().Concat(OtherFile.AsSpan(random.Next(OtherFile.Length + 1)).ToArray()).ToArray();
            case Mutation.LyingLength:
                var actual = (ulong)Payloads[random.Next(Payloads.Length)].Length;
                var lie = random.Next(4) switch
                {
                    0 => actual + (ulong)random.Next(1, 64),
                    1 => actual - Math.Min(actual, (ulong)random.Next(1, 64)),
                    2 => (ulong)random.NextInt64(),
                    _ => ulong.MaxValue - (ulong)random.Next(16),
                };
                return WithLength(file, random.Next(Payloads.Length), lie);
            case Mutation.GarbagePayload:
                var garbage = new byte[random.Next(0, 300)];
                random.NextBytes(garbage);
                var payloads = (byte[][])Payloads.Clone();
                payloads[random.Next(payloads.Length)] = garbage;
                return TestData.Frame(payloads);
            case Mutation.PayloadByteEdits:
                // Valid framing and CRCs around a corrupted protobuf: exercises the parser and the tensor checks.
                var edited = Payloads.Select(p => (byte[])p.Clone()).ToArray();
                var target = edited[random.Next(edited.Length)];
                for (var i = random.Next(1, 6); i > 0 && target.Length > 0; i--)
                {
                    target[random.Next(target.Length)] = random.Next(3) == 0 ? (byte)0xFF : (byte)random.Next(256);
                }

                return TestData.Frame(edited);
            default:
                var list = file.ToList();
                for (var i = random.Next(1, 4); i > 0; i--)
                {
                    var at = random.Next(list.Count);
                    if (random.Next(2) == 0)
                    {
                        list.RemoveRange(at, Math.Min(random.Next(1, 20), list.Count - at));
                    }
                    else
                    {
                        list.InsertRange(at, Enumerable.Range(0, random.Next(1, 20)).Select(_ => (byte)random.Next(256)));
                    }
                }

                return list.ToArray();
        }
    }

    // Rewrites record <paramref name="record"/>'s length field and its header CRC, so the lie passes the header check.
    private static byte[] WithLength(byte[] source, int record, ulong length)
    {
        var file = (byte[])source.Clone();
        var offset = Payloads.Take(record).Sum(p => p.Length + TfRecordWriter.FramingBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(offset), length);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(offset + 8), MaskedCrc32C.ComputeMasked(file.AsSpan(offset, 8)));
        return file;
    }
}
