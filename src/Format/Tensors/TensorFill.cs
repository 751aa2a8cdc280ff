using Warmup.Format.Protos.TensorFlow;

namespace Warmup.Format.Tensors;

/// <summary>Synthetic tensor values for <c>create</c>, Triton's <c>zero_data</c>/<c>random_data</c> and the recorder's shapes-only payloads.</summary>
internal static class TensorFill
{
    /// <summary>Every element zero (strings empty).</summary>
    public const string Zeros = "zeros";

    /// <summary>Every element one (strings "1").</summary>
    public const string Ones = "ones";

    /// <summary>Seeded random values.</summary>
    public const string Random = "random";

    /// <summary>
    /// A tensor of <paramref name="dataType"/> filled with zeros, ones, or seeded random values (floats in [0,1), integers in
    /// [0,10) so that they are safe as indices, strings of 8 lowercase letters).
    /// </summary>
    public static TensorData Create(DataType dataType, long[] shape, string fill, SplitMix64 random, string what)
    {
        var count = TensorShapes.ElementCount(shape, what);
        var dtype = DTypes.Get(dataType);
        // A string element costs its (up to 8) bytes plus its managed and native overhead.
        var size = dtype.IsString ? TensorLimits.StringElementOverheadBytes + 8 : Math.Max(1, dtype.ElementSize);
        if (count * (decimal)size > TensorLimits.Default.MaxBytes)
        {
            throw new WarmupFormatException(WarmupErrorKind.InvalidTensor,
                $"{what} with shape {TensorShapes.Format(shape)} would need {RecordBudget.FormatBytes(count * (decimal)size)}, above the " +
                $"{RecordBudget.FormatBytes(TensorLimits.Default.MaxBytes)} a tensor may hold. Choose smaller dimensions.");
        }

        return Create(dataType, shape, (int)count, fill, random, what);
    }

    private static TensorData Create(DataType dataType, long[] shape, int count, string fill, SplitMix64 random, string what)
    {
        return dataType switch
        {
            DataType.DtFloat => TensorData.Create(Fill(count, fill, () => (float)random.NextDouble(), 0f, 1f), shape),
            DataType.DtDouble => TensorData.Create(Fill(count, fill, random.NextDouble, 0d, 1d), shape),
            DataType.DtHalf => TensorData.Create(Fill(count, fill, () => (Half)random.NextDouble(), Half.Zero, Half.One), shape),
            DataType.DtBfloat16 => TensorData.Create(Fill(count, fill, () => BFloat16.FromSingle((float)random.NextDouble()), default, BFloat16.FromSingle(1f)), shape),
            DataType.DtInt32 => TensorData.Create(Fill(count, fill, () => (int)random.Next(10), 0, 1), shape),
            DataType.DtInt64 => TensorData.Create(Fill(count, fill, () => (long)random.Next(10), 0L, 1L), shape),
            DataType.DtInt16 => TensorData.Create(Fill(count, fill, () => (short)random.Next(10), (short)0, (short)1), shape),
            DataType.DtInt8 => TensorData.Create(Fill(count, fill, () => (sbyte)random.Next(10), (sbyte)0, (sbyte)1), shape),
            DataType.DtUint8 => TensorData.Create(Fill(count, fill, () => (byte)random.Next(10), (byte)0, (byte)1), shape),
            DataType.DtUint16 => TensorData.Create(Fill(count, fill, () => (ushort)random.Next(10), (ushort)0, (ushort)1), shape),
            DataType.DtUint32 => TensorData.Create(Fill(count, fill, () => (uint)random.Next(10), 0u, 1u), shape),
            DataType.DtUint64 => TensorData.Create(Fill(count, fill, () => random.Next(10), 0ul, 1ul), shape),
            DataType.DtBool => TensorData.Create(Fill(count, fill, () => random.Next(2) == 1, false, true), shape),
            DataType.DtString => TensorData.CreateStrings(Fill(count, fill, () => RandomWord(random), [], "1"u8.ToArray()), shape),
            _ => throw new WarmupFormatException(WarmupErrorKind.UnsupportedDtype, $"{what}: cannot synthesize {DTypes.Name(dataType)} values."),
        };
    }

    private static T[] Fill<T>(int count, string fill, Func<T> random, T zero, T one)
    {
        var values = new T[count];
        switch (fill)
        {
            case Ones:
                Array.Fill(values, one);
                break;
            case Random:
                for (var i = 0; i < count; i++)
                {
                    values[i] = random();
                }

                break;
            default:
                Array.Fill(values, zero);
                break;
        }

        return values;
    }

    private static byte[] RandomWord(SplitMix64 random)
    {
        var word = new byte[8];
        for (var i = 0; i < word.Length; i++)
        {
            word[i] = (byte)('a' + random.Next(26));
        }

        return word;
    }
}

/// <summary>A small seeded generator whose sequence is fixed by its algorithm (SplitMix64), so files are reproducible across .NET versions.</summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, bound).</summary>
    public ulong Next(ulong bound) => NextUInt64() % bound;
}
