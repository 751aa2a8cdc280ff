using Google.Protobuf;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Format.TfRecord;

namespace Warmup.Format.Tests;

/// <summary>Builders for the logs and files the tests use.</summary>
internal static class TestData
{
    /// <summary>A predict log for model <paramref name="model"/> with the given inputs, in the given insertion order.</summary>
    public static PredictionLog Predict(string model, params (string Name, TensorProto Tensor)[] inputs)
    {
        var request = new PredictRequest { ModelSpec = new ModelSpec { Name = model, SignatureName = "serving_default" } };
        foreach (var (name, tensor) in inputs)
        {
            request.Inputs.Add(name, tensor);
        }

        return new PredictionLog { PredictLog = new PredictLog { Request = request } };
    }

    /// <summary>A small, valid predict log whose content depends on <paramref name="seed"/>.</summary>
    public static PredictionLog SmallPredict(int seed)
    {
        var values = Enumerable.Range(0, 6).Select(i => (float)(seed * 10 + i) / 4).ToArray();
        return Predict("m",
            ("x", TensorProtoConverter.FromArray(values, 2, 3)),
            ("ids", TensorProtoConverter.FromArray(new long[] { seed, seed + 1 }, 2)),
            ("text", TensorProtoConverter.FromStrings(new[] { $"sample {seed}" }, 1)));
    }

    /// <summary>A classify log over one tf.Example.</summary>
    public static PredictionLog Classify()
    {
        var example = new Example { Features = new Features() };
        example.Features.Feature.Add("x", new Feature { FloatList = new FloatList { Value = { 1f } } });
        return new PredictionLog
        {
            ClassifyLog = new ClassifyLog
            {
                Request = new ClassificationRequest
                {
                    ModelSpec = new ModelSpec { Name = "m", SignatureName = "classify_x_to_y" },
                    Input = new Input { ExampleList = new ExampleList { Examples = { example } } },
                },
            },
        };
    }

    /// <summary>A regress log over one tf.Example.</summary>
    public static PredictionLog Regress()
    {
        var classify = Classify();
        return new PredictionLog
        {
            RegressLog = new RegressLog
            {
                Request = new RegressionRequest { ModelSpec = classify.ClassifyLog.Request.ModelSpec, Input = classify.ClassifyLog.Request.Input },
            },
        };
    }

    /// <summary>A multi-inference log with one regress task.</summary>
    public static PredictionLog MultiInference()
    {
        var classify = Classify();
        return new PredictionLog
        {
            MultiInferenceLog = new MultiInferenceLog
            {
                Request = new MultiInferenceRequest
                {
                    Tasks = { new InferenceTask { ModelSpec = new ModelSpec { Name = "m" }, MethodName = TfServing.RegressMethod } },
                    Input = classify.ClassifyLog.Request.Input,
                },
            },
        };
    }

    /// <summary>TFRecord framing of raw payloads.</summary>
    public static byte[] Frame(params byte[][] payloads)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TfRecordWriter(buffer, leaveOpen: true))
        {
            foreach (var payload in payloads)
            {
                writer.Write(payload);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>A valid warmup file of <paramref name="count"/> small predict logs.</summary>
    public static byte[] WarmupFile(int count)
    {
        using var buffer = new MemoryStream();
        Format.WarmupFile.Write(buffer, Enumerable.Range(0, count).Select(SmallPredict));
        return buffer.ToArray();
    }

    /// <summary>Framing of serialized logs, without validation.</summary>
    public static byte[] FrameLogs(params PredictionLog[] logs) => Frame(logs.Select(l => l.ToByteArray()).ToArray());

    /// <summary>Reads every record of <paramref name="bytes"/>, through a seekable or a non-seekable stream.</summary>
    public static List<WarmupRecord> ReadAll(byte[] bytes, bool seekable, string name = "warmup.tfrecord", WarmupReadOptions? options = null)
    {
        using Stream stream = seekable ? new MemoryStream(bytes, writable: false) : new NonSeekableStream(bytes);
        return Format.WarmupFile.Read(stream, name, options).ToList();
    }

    /// <summary>A fresh empty directory under the temp folder, deleted by the caller.</summary>
    public static string TempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "warmup-format-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string ToHex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}

/// <summary>A read-only stream that cannot seek and has no length, like a pipe; reads return at most <see cref="MaxRead"/> bytes.</summary>
internal sealed class NonSeekableStream(byte[] data, int maxRead = 4096) : Stream
{
    private int _position;

    public int MaxRead { get; } = maxRead;

    /// <summary>Total bytes handed out so far.</summary>
    public long BytesRead => _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    // Completes synchronously, as a pipe with data ready does; Stream's default would hop to the thread pool per read.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<int>(cancellationToken) : ValueTask.FromResult(Read(buffer.Span));

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(Math.Min(buffer.Length, MaxRead), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// A non-seekable stream that claims an endless supply of zero bytes after a prefix, and counts what was read: a huge
/// length field on it must not cause a huge allocation.
/// </summary>
internal sealed class EndlessStream(byte[] prefix, long limit) : Stream
{
    private long _position;

    public long BytesRead => _position;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, limit - _position);
        for (var i = 0; i < n; i++)
        {
            var at = _position + i;
            buffer[i] = at < prefix.Length ? prefix[at] : (byte)0;
        }

        _position += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
