// The attributes users write on their sample classes; the Warmup source generator reads them (docs/generator.md,
// "Why the attributes are in Warmup.Format"). They are in namespace Warmup, not Warmup.Format, so sample code needs
// only `using Warmup;`.
namespace Warmup;

/// <summary>TensorFlow dtypes for <see cref="WarmupInputAttribute"/>; values are TensorFlow's DataType numbers.</summary>
#pragma warning disable CA1008 // The values are TensorFlow's DataType numbers, which have no usable zero (DT_INVALID).
public enum WarmupDType
#pragma warning restore CA1008
{
    /// <summary>DT_FLOAT (<see cref="float"/>).</summary>
    Float = 1,

    /// <summary>DT_DOUBLE (<see cref="double"/>).</summary>
    Double = 2,

    /// <summary>DT_INT32 (<see cref="int"/>).</summary>
    Int32 = 3,

    /// <summary>DT_UINT8 (<see cref="byte"/>).</summary>
    UInt8 = 4,

    /// <summary>DT_INT16 (<see cref="short"/>).</summary>
    Int16 = 5,

    /// <summary>DT_INT8 (<see cref="sbyte"/>).</summary>
    Int8 = 6,

    /// <summary>DT_STRING (<see cref="string"/>, written as UTF-8).</summary>
    String = 7,

    /// <summary>DT_INT64 (<see cref="long"/>).</summary>
    Int64 = 9,

    /// <summary>DT_BOOL (<see cref="bool"/>).</summary>
    Bool = 10,

    /// <summary>DT_BFLOAT16 (<see cref="Format.Tensors.BFloat16"/>).</summary>
    BFloat16 = 14,

    /// <summary>DT_UINT16 (<see cref="ushort"/>).</summary>
    UInt16 = 17,

    /// <summary>DT_HALF (<see cref="System.Half"/>).</summary>
    Half = 19,

    /// <summary>DT_UINT32 (<see cref="uint"/>).</summary>
    UInt32 = 22,

    /// <summary>DT_UINT64 (<see cref="ulong"/>).</summary>
    UInt64 = 23,
}

/// <summary>The TF Serving method of a hand-declared signature.</summary>
public enum WarmupMethod
{
    /// <summary><c>tensorflow/serving/predict</c>: named tensors in, named tensors out.</summary>
    Predict = 0,

    /// <summary><c>tensorflow/serving/classify</c>: tf.Examples in.</summary>
    Classify = 1,

    /// <summary><c>tensorflow/serving/regress</c>: tf.Examples in.</summary>
    Regress = 2,
}

/// <summary>The value list of a tf.Example feature.</summary>
public enum WarmupFeatureType
{
    /// <summary><c>float_list</c> (<see cref="float"/>[]).</summary>
    Float = 0,

    /// <summary><c>int64_list</c> (<see cref="long"/>[]).</summary>
    Int64 = 1,

    /// <summary><c>bytes_list</c> (<see cref="byte"/>[][]).</summary>
    Bytes = 2,

    /// <summary><c>bytes_list</c> of UTF-8 text (<see cref="string"/>[]).</summary>
    String = 3,
}

/// <summary>
/// Marks a partial class as the warmup samples of one TF Serving model. Warmup generates one nested inputs type
/// per serving signature, read from the model's <c>.warmup-signature</c> file (written by the build for each
/// <c>&lt;WarmupModel&gt;</c> item), or from <see cref="WarmupInputAttribute"/> declarations when the class has any.
/// </summary>
/// <param name="name">The TF Serving model name (the <c>WarmupModel</c> item's <c>Name</c>).</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class WarmupModelAttribute(string name) : Attribute
{
    /// <summary>The TF Serving model name.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Declares one input of a signature by hand, for models without a model file known to the build.
/// A class with any of these ignores the build's signature file.
/// </summary>
/// <param name="name">The input's name (the key of the request's <c>inputs</c> map).</param>
/// <param name="dtype">The input's dtype.</param>
/// <param name="shape">Dimensions: a size, or -1 when any size is accepted. No dimensions means a scalar.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class WarmupInputAttribute(string name, WarmupDType dtype, params long[] shape) : Attribute
{
    /// <summary>The input's name.</summary>
    public string Name { get; } = name;

    /// <summary>The input's dtype.</summary>
    public WarmupDType DType { get; } = dtype;

    /// <summary>The dimensions (-1 = any size).</summary>
    public long[] Shape { get; } = shape;

    /// <summary>The signature the input belongs to; <c>serving_default</c> by default.</summary>
    public string Signature { get; set; } = "serving_default";

    /// <summary>True when the rank is unknown (the shape is then ignored and values are one-dimensional).</summary>
    public bool UnknownRank { get; set; }
}

/// <summary>Declares a hand-declared signature's method (signatures without one are <c>predict</c>).</summary>
/// <param name="key">The signature key, e.g. <c>serving_default</c>.</param>
/// <param name="method">Its TF Serving method.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class WarmupSignatureAttribute(string key, WarmupMethod method) : Attribute
{
    /// <summary>The signature key.</summary>
    public string Key { get; } = key;

    /// <summary>The TF Serving method.</summary>
    public WarmupMethod Method { get; } = method;
}

/// <summary>Declares a tf.Example feature used by the model's classify and regress signatures.</summary>
/// <param name="name">The feature key in <c>Features.feature</c>.</param>
/// <param name="type">Its value list.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class WarmupFeatureAttribute(string name, WarmupFeatureType type) : Attribute
{
    /// <summary>The feature key.</summary>
    public string Name { get; } = name;

    /// <summary>The value list.</summary>
    public WarmupFeatureType Type { get; } = type;
}

/// <summary>
/// Marks a static property, field or parameterless method of a <see cref="WarmupModelAttribute"/> class as a warmup
/// sample. It returns one of the generated inputs types, or an <c>IEnumerable&lt;&gt;</c> of them.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class WarmupSampleAttribute : Attribute
{
    /// <summary>
    /// Batch sizes to expand each input to: one record per size, tiling rows along dimension 0.
    /// Null or empty: one record per input, as written.
    /// </summary>
    public int[]? BatchSizes { get; set; }

    /// <summary>
    /// How many times each record is written, one after another (default 1). TF Serving replays every record
    /// <c>num_request_iterations</c> times and has no per-record count, so repeats are separate records and count
    /// toward the 1000-record limit.
    /// </summary>
    public int Iterations { get; set; } = 1;

    /// <summary>The sample's name in reports; the member name by default.</summary>
    public string? Name { get; set; }
}
