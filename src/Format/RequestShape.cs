using System.Text;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;

namespace Warmup.Format;

/// <summary>One input of a <see cref="RequestShape"/>: its name, dtype and concrete shape (values are not part of it).</summary>
public readonly struct RequestInputShape : IEquatable<RequestInputShape>
{
    private readonly long[] _shape;

    /// <summary>Creates an input shape.</summary>
    public RequestInputShape(string name, DataType dtype, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        DType = dtype;
        _shape = shape;
    }

    /// <summary>The input's name as the request (or the session) names it.</summary>
    public string Name { get; }

    /// <summary>The TensorFlow dtype (<see cref="DataType.DtInvalid"/> for a value that is not a tensor).</summary>
    public DataType DType { get; }

    /// <summary>The concrete dimensions.</summary>
    public IReadOnlyList<long> Shape => _shape ?? [];

    /// <inheritdoc />
    public bool Equals(RequestInputShape other) =>
        string.Equals(Name, other.Name, StringComparison.Ordinal) && DType == other.DType && (_shape ?? []).AsSpan().SequenceEqual(other._shape ?? []);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RequestInputShape other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name, StringComparer.Ordinal);
        hash.Add(DType);
        foreach (var d in _shape ?? [])
        {
            hash.Add(d);
        }

        return hash.ToHashCode();
    }

    /// <summary><c>x:DT_FLOAT[4,1]</c>.</summary>
    public override string ToString() => $"{Name}:{DTypes.Name(DType)}{TensorShapes.Format(_shape ?? [])}";

    /// <summary>Equality of two input shapes.</summary>
    public static bool operator ==(RequestInputShape left, RequestInputShape right) => left.Equals(right);

    /// <summary>Inequality of two input shapes.</summary>
    public static bool operator !=(RequestInputShape left, RequestInputShape right) => !left.Equals(right);
}

/// <summary>
/// The one definition of a request's shape, shared by the runtime's coverage, the recorder and <c>warmup select</c> /
/// <c>warmup coverage</c>: the signature (empty means <c>serving_default</c>) and each input's name, dtype and concrete
/// shape, inputs ordered by name (ordinal). Two requests with equal shapes take the same kernels and memory plans, so a
/// warmup record of one shape warms every request of that shape.
/// </summary>
public sealed class RequestShape : IEquatable<RequestShape>
{
    /// <summary>The input name under which classify and regress requests count their tf.Examples (DT_STRING, [examples]).</summary>
    public const string ExamplesInputName = "tf.Examples";

    private readonly RequestInputShape[] _inputs;
    private readonly int _hash;

    /// <summary>Creates a shape; <paramref name="inputs"/> are ordered by name.</summary>
    public RequestShape(string? signature, IEnumerable<RequestInputShape> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Signature = TfServing.ResolveSignatureName(signature);
        _inputs = inputs.ToArray();
        if (!IsOrdered(_inputs))
        {
            Array.Sort(_inputs, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        }

        var hash = new HashCode();
        hash.Add(Signature, StringComparer.Ordinal);
        foreach (var input in _inputs)
        {
            hash.Add(input);
        }

        _hash = hash.ToHashCode();
    }

    /// <summary>The signature key (never empty).</summary>
    public string Signature { get; }

    /// <summary>The inputs, ordered by name (ordinal).</summary>
    public IReadOnlyList<RequestInputShape> Inputs => _inputs;

    /// <summary>The shape of a predict request: its signature and every input tensor's dtype and shape.</summary>
    public static RequestShape FromPredictRequest(PredictRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new RequestShape(request.ModelSpec?.SignatureName, request.Inputs.Select(p => FromTensor(p.Key, p.Value)));
    }

    /// <summary>An input's shape from its TensorProto (dtype and declared dimensions; values are not read).</summary>
    public static RequestInputShape FromTensor(string name, TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new RequestInputShape(name, tensor.Dtype, TensorShapes.FromProto(tensor.TensorShape));
    }

    /// <summary>
    /// The request shape(s) of one PredictionLog record, one per run (read through <c>PredictionLogView</c>):
    /// predict and session_run give one shape; classify and regress one shape whose single input
    /// <see cref="ExamplesInputName"/> is DT_STRING [number of examples]; multi_inference one per task (same input, the
    /// task's signature); predict_streamed one per request; a record without log type none.
    /// </summary>
    public static IReadOnlyList<RequestShape> FromLog(PredictionLog log)
    {
        var shapes = new List<RequestShape>();
        foreach (var request in new PredictionLogView(log).Requests)
        {
            foreach (var task in request.Tasks)
            {
                shapes.Add(request.TakesExamples
                    ? Examples(task.SignatureName, request.Examples?.Count ?? 0)
                    : new RequestShape(task.SignatureName, request.Tensors.Select(t => FromTensor(t.Name, t.Tensor ?? new TensorProto()))));
            }
        }

        return shapes;
    }

    private static RequestShape Examples(string? signature, int count) =>
        new(signature, [new RequestInputShape(ExamplesInputName, DataType.DtString, [count])]);

    private static bool IsOrdered(RequestInputShape[] inputs)
    {
        for (var i = 1; i < inputs.Length; i++)
        {
            if (string.CompareOrdinal(inputs[i - 1].Name, inputs[i].Name) > 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public bool Equals(RequestShape? other) =>
        other is not null && (ReferenceEquals(this, other)
            || (_hash == other._hash && string.Equals(Signature, other.Signature, StringComparison.Ordinal) && _inputs.AsSpan().SequenceEqual(other._inputs)));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as RequestShape);

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <summary><c>serving_default x:DT_FLOAT[4,1] y:DT_INT64[4]</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Signature);
        foreach (var input in _inputs)
        {
            text.Append(' ').Append(input.ToString());
        }

        return text.ToString();
    }
}
