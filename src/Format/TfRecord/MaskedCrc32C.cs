using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Warmup.Format.TfRecord;

/// <summary>CRC-32C (Castagnoli) and TFRecord's masking of it, on the processor's CRC32 instruction.</summary>
public static class MaskedCrc32C
{
    private const uint MaskDelta = 0xA282EAD8;

    /// <summary>CRC-32C of <paramref name="data"/> (initial value and final xor 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~AppendRaw(~0u, data);

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

    /// <summary>
    /// Extends <paramref name="crc"/>, the CRC-32C of some bytes, to the CRC-32C of those bytes followed by
    /// <paramref name="data"/> (start from 0 for no bytes), so a CRC can be computed over data that arrives in pieces.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~AppendRaw(~crc, data);

    // Below this, one dependency chain is fast enough and the combine step would not pay off.
    private const int InterleaveMinBytes = 4 * 1024;

    // Raw (un-inverted) running CRC. BitOperations.Crc32C compiles to the CRC32 instruction, 8 bytes a step. The
    // instruction's latency is several cycles but it issues every cycle, so long inputs run four independent streams and
    // combine them: about 3× the throughput of one stream on the machines measured (docs/performance-format.md).
    private static uint AppendRaw(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= InterleaveMinBytes)
        {
            // Four equal blocks of whole 8-byte words, at most 4 × 8 KiB at a time so the shift tables stay few and small.
            var block = Math.Min(data.Length / 4, BlockBytes) & ~7;
            var words = block / 8;
            ref var a = ref Unsafe.As<byte, ulong>(ref MemoryMarshal.GetReference(data));
            ref var b = ref Unsafe.Add(ref a, words);
            ref var c = ref Unsafe.Add(ref b, words);
            ref var d = ref Unsafe.Add(ref c, words);
            uint crcB = 0, crcC = 0, crcD = 0;
            for (var i = 0; i < words; i++)
            {
                crc = BitOperations.Crc32C(crc, LittleEndian(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ulong, byte>(ref Unsafe.Add(ref a, i)))));
                crcB = BitOperations.Crc32C(crcB, LittleEndian(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ulong, byte>(ref Unsafe.Add(ref b, i)))));
                crcC = BitOperations.Crc32C(crcC, LittleEndian(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ulong, byte>(ref Unsafe.Add(ref c, i)))));
                crcD = BitOperations.Crc32C(crcD, LittleEndian(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ulong, byte>(ref Unsafe.Add(ref d, i)))));
            }

            // crc(A‖B) = shift(crc(A), |B|) xor crc0(B), where crc0 starts from 0; the same again for C and D.
            crc = Shift(crc, block) ^ crcB;
            crc = Shift(crc, block) ^ crcC;
            crc = Shift(crc, block) ^ crcD;
            data = data[(4 * block)..];
        }

        var tail = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var word in tail)
        {
            crc = BitOperations.Crc32C(crc, LittleEndian(word));
        }

        foreach (var b in data[(tail.Length * sizeof(ulong))..])
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    private static ulong LittleEndian(ulong word) => BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);

    private const int BlockBytes = 8 * 1024;

    // ShiftTables[k][byte] = the raw CRC register after feeding |block| zero bytes to a register holding byte << 8k.
    // Shifting a register by n zero bytes is linear over GF(2), so it is the xor of four table lookups.
    private static readonly uint[][] ShiftTables = new uint[BlockBytes / 8 + 1][];

    private static uint Shift(uint crc, int block)
    {
        var table = ShiftTables[block / 8] ??= BuildShiftTable(block);
        return table[crc & 0xFF] ^ table[256 + ((crc >> 8) & 0xFF)] ^ table[512 + ((crc >> 16) & 0xFF)] ^ table[768 + (crc >> 24)];
    }

    private static uint[] BuildShiftTable(int zeroBytes)
    {
        // Shift each of the 32 basis bits once (zeroBytes / 8 eight-byte steps of zeros), then combine per byte value.
        Span<uint> basis = stackalloc uint[32];
        for (var bit = 0; bit < 32; bit++)
        {
            var register = 1u << bit;
            for (var i = 0; i < zeroBytes / 8; i++)
            {
                register = BitOperations.Crc32C(register, 0ul);
            }

            basis[bit] = register;
        }

        var table = new uint[4 * 256];
        for (var k = 0; k < 4; k++)
        {
            for (var value = 0; value < 256; value++)
            {
                uint shifted = 0;
                for (var bit = 0; bit < 8; bit++)
                {
                    if ((value & (1 << bit)) != 0)
                    {
                        shifted ^= basis[8 * k + bit];
                    }
                }

                table[256 * k + value] = shifted;
            }
        }

        return table;
    }
}
