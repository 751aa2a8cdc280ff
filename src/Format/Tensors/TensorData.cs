using Warmup.Format.Protos.TensorFlow;

namespace Warmup.Format.Tensors;

/// <summary>
/// A dense tensor as .NET values: a dtype, a shape and a flat row-major array whose element type comes from
/// <see cref="DTypes"/> (<c>float[]</c> for DT_FLOAT, <c>byte[][]</c> for DT_STRING, <see cref="Half"/>[] for DT_HALF…).
/// </summary>
public sealed class TensorData
{
    private readonly long[] _shape;

    private TensorData(DTypeInfo dtype, long[] shape, Array values)
    {
        DType = dtype;
        _shape = shape;
        Values = values;
    }

    /// <summary>The dtype's row of the dtype table.</summary>
    public DTypeInfo DType { get; }

    /// <summary>The TensorFlow dtype.</summary>
    public DataType DataType => DType.DataType;

    /// <summary>The shape (empty for a scalar).</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>The flat, row-major values; the array's element type is <see cref="DTypeInfo.ClrType"/>.</summary>
    public Array Values { get; }

    /// <summary>Number of elements (the product of the shape).</summary>
    public long ElementCount => Values.LongLength;

    /// <summary>The values as <typeparamref name="T"/>[]; throws when <typeparamref name="T"/> is not the dtype's element type.</summary>
    public T[] GetValues<T>() => Values.GetType() == typeof(T[]) ? (T[])Values : throw new InvalidOperationException(
        $"The tensor holds {DType.Name} ({DType.ClrType?.Name}) values, not {typeof(T).Name}.");

    /// <summary>Copies the shape into a new array.</summary>
    public long[] GetShape() => (long[])_shape.Clone();

    /// <summary>Creates a tensor over <paramref name="values"/> (not copied) with <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The element type is not a supported dtype, or the shape does not match the count.</exception>
    public static TensorData Create<T>(T[] values, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        var dtype = DTypes.FromClrType(typeof(T))
            ?? throw new ArgumentException($"{typeof(T).Name} is not a supported tensor element type.", nameof(values));
        return Create(dtype, shape, values);
    }

    /// <summary>Creates a DT_STRING tensor over raw byte strings.</summary>
    public static TensorData CreateStrings(byte[][] values, params long[] shape) => Create(values, shape);

    internal static TensorData Create(DTypeInfo dtype, long[] shape, Array values)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var count = TensorShapes.ElementCount(shape, $"a {dtype.Name} tensor", TensorLimits.Default);
        if (count != values.LongLength)
        {
            throw new ArgumentException(
                $"Shape {ShapeText.Format(shape)} needs {count} element(s) but {values.LongLength} were given.", nameof(shape));
        }

        return new TensorData(dtype, (long[])shape.Clone(), values);
    }
}

/// <summary>Bounds on tensors read from untrusted files, checked before anything is allocated.</summary>
public sealed class TensorLimits
{
    /// <summary>The defaults: at most 2^31 - 1 elements and 1 GiB per tensor, 256 MiB per record (all its tensors).</summary>
    public static TensorLimits Default { get; } = new();

    /// <summary>The default of <see cref="MaxRecordBytes"/>: 256 MiB.</summary>
    public const long DefaultMaxRecordBytes = 256L << 20;

    /// <summary>
    /// What one string element costs in memory beyond its bytes, as counted by the limits: the managed array reference and
    /// byte[] header, the protobuf ByteString, and ONNX Runtime's native std::string (about 96 bytes on 64-bit).
    /// </summary>
    public const int StringElementOverheadBytes = 96;

    /// <summary>Largest element count accepted.</summary>
    public long MaxElements { get; init; } = int.MaxValue;

    /// <summary>
    /// Largest decoded size of one tensor in bytes: element count × element size; a string element counts its bytes plus
    /// <see cref="StringElementOverheadBytes"/>.
    /// </summary>
    public long MaxBytes { get; init; } = 1L << 30;

    /// <summary>
    /// Largest expanded size of one record: the decoded sizes of all its tensors (counted as for <see cref="MaxBytes"/>),
    /// with TensorFlow's fill rule applied, so that a few bytes that claim a huge shape are refused before anything is
    /// allocated. Default <see cref="DefaultMaxRecordBytes"/> (256 MiB); see <see cref="RecordBudget"/>.
    /// </summary>
    public long MaxRecordBytes { get; init; } = DefaultMaxRecordBytes;
}

/// <summary>Shape arithmetic with overflow and sanity checks.</summary>
public static class TensorShapes
{
    /// <summary>
    /// The element count of <paramref name="shape"/>. Negative dims, overflow and counts above the limits raise
    /// <see cref="WarmupFormatException"/> (<see cref="WarmupErrorKind.InvalidTensor"/>) naming <paramref name="what"/>.
    /// </summary>
    public static long ElementCount(ReadOnlySpan<long> shape, string what, TensorLimits? limits = null)
    {
        limits ??= TensorLimits.Default;
        long count = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw new WarmupFormatException(WarmupErrorKind.InvalidTensor,
                    $"{what} has shape {Format(shape)} with a negative dimension; request tensors need concrete sizes.");
            }

            if (dim != 0 && count > limits.MaxElements / dim)
            {
                throw new WarmupFormatException(WarmupErrorKind.InvalidTensor,
                    $"{what} has shape {Format(shape)} whose element count exceeds the limit of {limits.MaxElements}.");
            }

            count *= dim;
        }

        return count;
    }

    /// <summary>Formats a shape as <c>[2,3]</c>.</summary>
    public static string Format(ReadOnlySpan<long> shape) => ShapeText.Format(shape.ToArray());

    /// <summary>The dims of a TF shape proto (an absent shape is a scalar).</summary>
    public static long[] FromProto(TensorShapeProto? shape) =>
        shape is null ? [] : shape.Dim.Select(d => d.Size).ToArray();

    /// <summary>A TF shape proto with the given dims.</summary>
    public static TensorShapeProto ToProto(ReadOnlySpan<long> shape)
    {
        var proto = new TensorShapeProto();
        foreach (var dim in shape)
        {
            proto.Dim.Add(new TensorShapeProto.Types.Dim { Size = dim });
        }

        return proto;
    }
}
