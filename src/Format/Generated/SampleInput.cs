using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Signatures;
using Warmup.Format.Tensors;

namespace Warmup.Format.Generated;

/// <summary>
/// One input of a predict signature, as the inputs types that the Warmup source generator emits convert it. Not meant to
/// be called by hand: it carries what is not model-specific, so that the generated code does not.
/// </summary>
/// <remarks>
/// Every input is required. An input whose first dimension is a batch dimension (unknown rank, or a first dimension that is
/// not fixed) is tiled along dimension 0 to the batch size: row <c>i</c> is row <c>i mod n</c> of the value. The result is
/// then checked against the signature's shape with <see cref="TensorRules.CheckShape"/>, the rule <c>warmup validate</c>
/// applies. Problems throw <see cref="InvalidOperationException"/> naming the input, signature and model.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SampleInput
{
    private readonly SignatureDimension[]? _shape;
    private readonly bool _batched;
    private readonly string _what;

    /// <summary>Describes input <paramref name="name"/> of a signature of known rank.</summary>
    /// <param name="model">The TF Serving model name.</param>
    /// <param name="signature">The signature key.</param>
    /// <param name="name">The input's name (the key of the request's <c>inputs</c> map).</param>
    /// <param name="shape">The signature's dimensions for the input; none for a scalar.</param>
    public SampleInput(string model, string signature, string name, params SignatureDimension[] shape)
        : this(model, signature, name)
    {
        ArgumentNullException.ThrowIfNull(shape);
        _shape = shape;
        _batched = shape.Length > 0 && !shape[0].IsFixed;
    }

    // Unknown rank: nothing to check, and always a batch.
    private SampleInput(string model, string signature, string name)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(name);
        Model = model;
        Signature = signature;
        Name = name;
        _batched = true;
        _what = $"input \"{name}\" of signature \"{signature}\" of model \"{model}\"";
    }

    /// <summary>The TF Serving model name.</summary>
    public string Model { get; }

    /// <summary>The signature key.</summary>
    public string Signature { get; }

    /// <summary>The input's name.</summary>
    public string Name { get; }

    /// <summary>Describes input <paramref name="name"/> of unknown rank (values are one-dimensional, and a batch).</summary>
    /// <param name="model">The TF Serving model name.</param>
    /// <param name="signature">The signature key.</param>
    /// <param name="name">The input's name.</param>
    /// <returns>The input.</returns>
    public static SampleInput WithUnknownRank(string model, string signature, string name) => new(model, signature, name);

    /// <summary>The error for an input, or another required member, that is not set.</summary>
    /// <param name="input">What is not set.</param>
    /// <param name="signature">The signature key (or <c>multi-inference</c>).</param>
    /// <param name="model">The TF Serving model name.</param>
    /// <returns>The exception to throw.</returns>
    public static InvalidOperationException Missing(string input, string signature, string model) =>
        new($"Input '{input}' of signature '{signature}' of model '{model}' is not set: every input is required.");

    /// <summary>A numeric, bool, <see cref="Half"/> or <see cref="BFloat16"/> scalar.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="value">The value, or <see langword="null"/> when not set.</param>
    /// <returns>The tensor.</returns>
    public TensorProto FromScalar<T>(T? value) where T : unmanaged =>
        TensorProtoConverter.FromArray([value ?? throw Missing(Name, Signature, Model)], []);

    /// <summary>A numeric, bool, <see cref="Half"/> or <see cref="BFloat16"/> array of the input's rank (any rank when unknown).</summary>
    /// <typeparam name="T">The element type; it must be the array's.</typeparam>
    /// <param name="value">The value, or <see langword="null"/> when not set.</param>
    /// <param name="batchSize">0 to send the value as written; otherwise the rows to tile it to.</param>
    /// <param name="symbols">The sizes this request's inputs gave to symbolic dimensions so far.</param>
    /// <returns>The tensor.</returns>
    public TensorProto FromArray<T>(Array? value, int batchSize, TensorSymbols symbols) where T : unmanaged
    {
        if (value is null)
        {
            throw Missing(Name, Signature, Model);
        }

        if (value.GetType().GetElementType() != typeof(T))
        {
            throw new ArgumentException($"Input '{Name}' is a {value.GetType()}, not an array of {typeof(T)}.", nameof(value));
        }

        // Multi-dimensional arrays are stored row-major, which is TensorFlow's order.
        ref var start = ref MemoryMarshal.GetArrayDataReference(value);
        var values = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, T>(ref start), value.Length).ToArray();
        var shape = Shape(value);
        values = Tile(values, shape, batchSize);
        Check(shape, symbols);
        return TensorProtoConverter.FromArray(values, shape);
    }

    /// <summary>A DT_STRING array of rank 2 or more (written as UTF-8).</summary>
    /// <param name="value">The value, or <see langword="null"/> when not set.</param>
    /// <param name="batchSize">0 to send the value as written; otherwise the rows to tile it to.</param>
    /// <param name="symbols">The sizes this request's inputs gave to symbolic dimensions so far.</param>
    /// <returns>The tensor.</returns>
    public TensorProto FromStrings(Array? value, int batchSize, TensorSymbols symbols)
    {
        if (value is null)
        {
            throw Missing(Name, Signature, Model);
        }

        var values = new string[value.Length];
        var i = 0;
        foreach (var item in value)
        {
            values[i++] = (string)item!;
        }

        var shape = Shape(value);
        return Strings(values, shape, batchSize, symbols);
    }

    /// <summary>A DT_STRING vector given as text (UTF-8) or as raw bytes (binary-safe), not both.</summary>
    /// <param name="text">The text value, or <see langword="null"/>.</param>
    /// <param name="bytes">The raw value, or <see langword="null"/>.</param>
    /// <param name="textProperty">The text property's name, for the error when both are set.</param>
    /// <param name="bytesProperty">The raw property's name.</param>
    /// <param name="batchSize">0 to send the value as written; otherwise the rows to tile it to.</param>
    /// <param name="symbols">The sizes this request's inputs gave to symbolic dimensions so far.</param>
    /// <returns>The tensor.</returns>
    public TensorProto FromStrings(string[]? text, byte[][]? bytes, string textProperty, string bytesProperty, int batchSize, TensorSymbols symbols)
    {
        if (bytes is null)
        {
            return Strings(text ?? throw Missing(Name, Signature, Model), [text.Length], batchSize, symbols);
        }

        if (text is not null)
        {
            throw BothSet(textProperty, bytesProperty);
        }

        long[] shape = [bytes.Length];
        var values = Tile(bytes, shape, batchSize);
        Check(shape, symbols);
        return TensorProtoConverter.FromStrings(CheckBytes(values), shape);
    }

    /// <summary>A DT_STRING scalar given as text (UTF-8) or as raw bytes (binary-safe), not both.</summary>
    /// <param name="text">The text value, or <see langword="null"/>.</param>
    /// <param name="bytes">The raw value, or <see langword="null"/>.</param>
    /// <param name="textProperty">The text property's name, for the error when both are set.</param>
    /// <param name="bytesProperty">The raw property's name.</param>
    /// <returns>The tensor.</returns>
    public TensorProto FromString(string? text, byte[]? bytes, string textProperty, string bytesProperty)
    {
        if (bytes is null)
        {
            return TensorProtoConverter.FromStrings([text ?? throw Missing(Name, Signature, Model)], []);
        }

        return text is null ? TensorProtoConverter.FromStrings([bytes], []) : throw BothSet(textProperty, bytesProperty);
    }

    private TensorProto Strings(string[] values, long[] shape, int batchSize, TensorSymbols symbols)
    {
        values = Tile(values, shape, batchSize);
        Check(shape, symbols);
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is null)
            {
                throw new InvalidOperationException($"Input '{Name}' has a null string at flat index {i}: DT_STRING values must not be null.");
            }
        }

        return TensorProtoConverter.FromStrings(values, shape);
    }

    private byte[][] CheckBytes(byte[][] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is null)
            {
                throw new InvalidOperationException($"Input '{Name}' has a null byte string at index {i}: DT_STRING values must not be null.");
            }
        }

        return values;
    }

    private InvalidOperationException BothSet(string textProperty, string bytesProperty) =>
        new($"Input '{Name}' is set twice: set {textProperty} or {bytesProperty}, not both.");

    private static long[] Shape(Array array)
    {
        var shape = new long[array.Rank];
        for (var d = 0; d < shape.Length; d++)
        {
            shape[d] = array.GetLongLength(d);
        }

        return shape;
    }

    /// <summary>
    /// For a batch input and a batch size: repeats the rows (slices along dimension 0) cyclically to <paramref name="batchSize"/>
    /// rows and sets <c>shape[0]</c> to it. Otherwise returns the values as given.
    /// </summary>
    private T[] Tile<T>(T[] values, long[] shape, int batchSize)
    {
        if (!_batched || batchSize <= 0)
        {
            return values;
        }

        var rows = shape[0];
        if (rows == 0)
        {
            throw new InvalidOperationException($"Input '{Name}' of signature '{Signature}' of model '{Model}' has no rows to tile to batch size {batchSize}.");
        }

        var rowLength = checked((int)(values.Length / rows));
        var tiled = new T[checked(rowLength * batchSize)];
        for (var row = 0; row < batchSize; row++)
        {
            Array.Copy(values, row % rows * rowLength, tiled, (long)row * rowLength, rowLength);
        }

        shape[0] = batchSize;
        return tiled;
    }

    /// <summary>The signature's rule for the (tiled) shape: fixed sizes, and one size per symbolic dimension in the request.</summary>
    private void Check(long[] shape, TensorSymbols symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        if (TensorRules.CheckShape(_what, shape, Name, _shape, symbols) is { } mismatch)
        {
            throw new InvalidOperationException(char.ToUpperInvariant(mismatch.Message[0]) + mismatch.Message[1..]);
        }
    }
}
