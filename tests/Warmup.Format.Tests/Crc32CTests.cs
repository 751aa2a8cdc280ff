using System.Text;
using Warmup.Format.TfRecord;

namespace Warmup.Format.Tests;

public class Crc32CTests
{
    [Fact]
    public void Check_value_of_123456789()
    {
        Assert.Equal(0xE3069283u, MaskedCrc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Iscsi_vectors_from_the_spec()
    {
        Assert.Equal(0x8A9136AAu, MaskedCrc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, MaskedCrc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, MaskedCrc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, MaskedCrc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
    }

    [Fact]
    public void Empty_input_has_crc_zero()
    {
        Assert.Equal(0u, MaskedCrc32C.Compute([]));
    }

    [Fact]
    public void Mask_matches_the_formula_and_unmask_inverts_it()
    {
        var crc = MaskedCrc32C.Compute(Encoding.ASCII.GetBytes("123456789"));
        var expected = unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8u);
        Assert.Equal(expected, MaskedCrc32C.Mask(crc));
        Assert.Equal(crc, MaskedCrc32C.Unmask(MaskedCrc32C.Mask(crc)));
        Assert.Equal(expected, MaskedCrc32C.ComputeMasked(Encoding.ASCII.GetBytes("123456789")));

        // Masking is not the identity and unmasking inverts it everywhere, including at the wrap-around.
        foreach (var value in new uint[] { 0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x5D7D1527 })
        {
            Assert.Equal(value, MaskedCrc32C.Unmask(MaskedCrc32C.Mask(value)));
            Assert.NotEqual(value, MaskedCrc32C.Mask(value));
        }
    }

    [Fact]
    public void Masked_crc_of_eight_zero_bytes_is_the_zero_length_header_crc()
    {
        // From the spec's zero-length record: 29 03 98 07 little-endian.
        Assert.Equal(0x07980329u, MaskedCrc32C.ComputeMasked(new byte[8]));
    }

    [Fact]
    public void Every_length_and_alignment_agrees_with_a_bitwise_reference()
    {
        // Covers the 8-byte main loop, the byte tail and the interleaved paths for long inputs.
        var random = new Random(7);
        var data = new byte[70_000];
        random.NextBytes(data);
        foreach (var length in Enumerable.Range(0, 80).Concat([255, 256, 257, 1023, 1024, 4095, 4096, 4097, 12_288, 12_289, 65_536, 69_990]))
        {
            foreach (var start in new[] { 0, 1, 3, 7 })
            {
                var slice = data.AsSpan(start, length);
                Assert.Equal(ReferenceCrc(slice), MaskedCrc32C.Compute(slice));
            }
        }
    }

    [Fact]
    public void Append_continues_a_running_crc()
    {
        var data = Encoding.ASCII.GetBytes("123456789");
        var running = MaskedCrc32C.Append(0, data.AsSpan(0, 4));
        Assert.Equal(0xE3069283u, MaskedCrc32C.Append(running, data.AsSpan(4)));
    }

    // Bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78), independent of the implementation under test.
    private static uint ReferenceCrc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }
}
