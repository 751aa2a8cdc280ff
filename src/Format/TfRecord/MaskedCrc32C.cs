using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Warmup.Format.TfRecord;

/// <summary>CRC-32C (Castagnoli) and TFRecord's masking of it, on the processor's CRC32 instruction.</summary>
public static class MaskedCrc32C
{
    private const uint MaskDelta = 0xA282EAD8;

    /// <summary>CRC-32C of <paramref name="data"/> (initial value and final xor 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(~0u, data);

    /// <summary>Masked CRC-32C of <paramref name="data"/>, as stored in TFRecord files.</summary>
    public static uint ComputeMasked(ReadOnlySpan<byte> data) => Mask(Compute(data));

    /// <summary>TFRecord's mask: rotate right by 15 bits and add a constant, so CRCs of CRCs stay strong.</summary>
    public static uint Mask(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + MaskDelta);

    /// <summary>Inverse of <see cref="Mask"/>.</summary>
    public static uint Unmask(uint masked)
    {
        var rotated = unchecked(masked - MaskDelta);
        return (rotated >> 17) | (rotated << 15);
    }

    // Raw (un-inverted) running CRC; BitOperations.Crc32C compiles to the CRC32 instruction, 8 bytes a step.
    private static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var word in words)
        {
            crc = BitOperations.Crc32C(crc, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
        }

        foreach (var b in data[(words.Length * sizeof(ulong))..])
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}
