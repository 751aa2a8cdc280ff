using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Warmup.Format.Protos.Onnx;
using Warmup.Format.Tensors;

namespace Warmup.Testing;

/// <summary>
/// Builds small ONNX models from the Format library's ONNX protos, so tests, benchmarks and samples never need a
/// fetched or checked-in binary model.
/// </summary>
public sealed class OnnxModelBuilder
{
    private readonly GraphProto _graph;
    private readonly long _opset;
    private int _nodeCount;

    /// <summary>Starts a model with one graph.</summary>
    /// <param name="graphName">The graph's name.</param>
    /// <param name="opset">The default-domain opset version.</param>
    public OnnxModelBuilder(string graphName = "warmup_test", long opset = 17)
    {
        _graph = new GraphProto { Name = graphName };
        _opset = opset;
    }

    /// <summary>Adds a graph input. Each dim is a fixed size (int or long), or a string naming a symbolic dim.</summary>
    public OnnxModelBuilder Input(string name, OnnxElementType type, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, type, dims));
        return this;
    }

    /// <summary>Adds a graph output. Each dim is a fixed size, or a string naming a symbolic dim.</summary>
    public OnnxModelBuilder Output(string name, OnnxElementType type, params object[] dims)
    {
        _graph.Output.Add(ValueInfo(name, type, dims));
        return this;
    }

    /// <summary>Adds a float initializer (a weight).</summary>
    public OnnxModelBuilder Initializer(string name, float[] values, params long[] dims) =>
        AddInitializer(name, OnnxElementType.Float, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    /// <summary>Adds an int64 initializer (shapes, axes…).</summary>
    public OnnxModelBuilder Initializer(string name, long[] values, params long[] dims) =>
        AddInitializer(name, OnnxElementType.Int64, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    /// <summary>
    /// Adds a node. Attribute values may be float, int, long, string, float[], long[] or int[].
    /// </summary>
    public OnnxModelBuilder Node(string opType, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{_nodeCount++}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var (attributeName, value) in attributes)
        {
            node.Attribute.Add(Attribute(attributeName, value));
        }

        _graph.Node.Add(node);
        return this;
    }

    /// <summary>The model proto.</summary>
    public ModelProto Build()
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "warmup-tests",
            ProducerVersion = "1",
            Graph = _graph.Clone(),
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = _opset });
        return model;
    }

    /// <summary>The serialized model.</summary>
    public byte[] ToBytes() => Build().ToByteArray();

    /// <summary>Writes the model to <paramref name="path"/> (creating its folder) and returns the path.</summary>
    public string Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, ToBytes());
        return path;
    }

    private OnnxModelBuilder AddInitializer(string name, OnnxElementType type, ReadOnlySpan<byte> raw, long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        tensor.Dims.AddRange(dims);
        _graph.Initializer.Add(tensor);
        return this;
    }

    private static ValueInfoProto ValueInfo(string name, OnnxElementType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                long size => new TensorShapeProto.Types.Dimension { DimValue = size },
                _ => throw new ArgumentException($"A dim is an int, a long or a symbolic name, not {dim.GetType().Name}.", nameof(dims)),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static AttributeProto Attribute(string name, object value) => value switch
    {
        float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
        int i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        long l => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = l },
        string s => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
        float[] fs => WithFloats(name, fs),
        long[] ls => WithInts(name, ls),
        int[] ints => WithInts(name, ints.Select(i => (long)i).ToArray()),
        _ => throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"Attribute {name}: unsupported value type {value.GetType().Name}."), nameof(value)),
    };

    private static AttributeProto WithFloats(string name, float[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        attribute.Floats.AddRange(values);
        return attribute;
    }

    private static AttributeProto WithInts(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}
