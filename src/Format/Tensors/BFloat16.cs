namespace Warmup.Format.Tensors;

/// <summary>
/// A bfloat16 value (the upper 16 bits of an IEEE float32). Kept as raw bits so conversion to and from
/// TensorProto is lossless; convert to <see cref="float"/> for arithmetic.
/// </summary>
/// <param name="Bits">The raw 16-bit pattern.</param>
public readonly record struct BFloat16(ushort Bits)
{
    /// <summary>Rounds a float to the nearest bfloat16 (ties to even; NaN stays NaN).</summary>
    public static BFloat16 FromSingle(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return new BFloat16((ushort)((bits >> 16) | 0x0040));
        }

        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return new BFloat16((ushort)((bits + rounding) >> 16));
    }

    /// <summary>The exact float value.</summary>
    public float ToSingle() => BitConverter.UInt32BitsToSingle((uint)Bits << 16);

    /// <summary>Converts a float, rounding to nearest even.</summary>
    public static explicit operator BFloat16(float value) => FromSingle(value);

    /// <summary>Widens to float exactly.</summary>
    public static implicit operator float(BFloat16 value) => value.ToSingle();

    /// <inheritdoc />
    public override string ToString() => ToSingle().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
