using Google.Protobuf;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format.Json;

/// <summary>Decodes a tensor's first values without materializing the whole tensor.</summary>
internal static class TensorPreview
{
    /// <summary>
    /// The values as the record stores them: every value of <c>tensor_content</c>, or the typed field as written (fewer
    /// than the shape holds under TensorFlow's fill rule). Memory is bounded by the record, never by the shape.
    /// </summary>
    public static TensorData Stored(TensorProto tensor, string what)
    {
        var dtype = DTypes.Get(tensor.Dtype);
        var stored = !dtype.IsString && !tensor.TensorContent.IsEmpty && dtype.ElementSize > 0
            ? tensor.TensorContent.Length / dtype.ElementSize
            : TensorProtoConverter.TypedField(tensor, dtype).Count;
        return Decode(tensor, what, stored, Unbounded);
    }

    // Only the stored values are decoded, so the shape's size needs no limit here.
    private static readonly TensorLimits Unbounded = new() { MaxElements = long.MaxValue, MaxBytes = long.MaxValue, MaxRecordBytes = long.MaxValue };

    /// <summary>
    /// The first <paramref name="maxValues"/> values (all when null) in row-major order, with TensorFlow's fill rule.
    /// Memory is bounded by the record, never by the shape.
    /// </summary>
    public static TensorData Decode(TensorProto tensor, string what, int? maxValues, TensorLimits? limits = null)
    {
        var shape = TensorProtoConverter.Validate(tensor, what, limits);
        var count = TensorShapes.ElementCount(shape, what, limits);
        if (maxValues is null || count <= maxValues)
        {
            return TensorProtoConverter.ToTensorData(tensor, what, limits);
        }

        // A copy holding only the first k values, as a vector: same dtype, same fill rule.
        var k = maxValues.Value;
        var head = new TensorProto { Dtype = tensor.Dtype, TensorShape = TensorShapes.ToProto([k]) };
        var elementSize = DTypes.Get(tensor.Dtype).ElementSize;
        if (!tensor.TensorContent.IsEmpty && elementSize > 0)
        {
            head.TensorContent = ByteString.CopyFrom(tensor.TensorContent.Span[..(k * elementSize)]);
        }
        else
        {
            head.FloatVal.AddRange(tensor.FloatVal.Take(k));
            head.DoubleVal.AddRange(tensor.DoubleVal.Take(k));
            head.IntVal.AddRange(tensor.IntVal.Take(k));
            head.Int64Val.AddRange(tensor.Int64Val.Take(k));
            head.Uint32Val.AddRange(tensor.Uint32Val.Take(k));
            head.Uint64Val.AddRange(tensor.Uint64Val.Take(k));
            head.BoolVal.AddRange(tensor.BoolVal.Take(k));
            head.HalfVal.AddRange(tensor.HalfVal.Take(k));
            head.StringVal.AddRange(tensor.StringVal.Take(k));
        }

        return TensorProtoConverter.ToTensorData(head, what);
    }
}
