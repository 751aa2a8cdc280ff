using System.ComponentModel;
using Warmup.Format.Protos.TensorFlow;

namespace Warmup.Format.Generated;

/// <summary>A generated tf.Example type (<c>WarmupExample</c>): one example of classify, regress and multi-inference inputs.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IWarmupExample
{
    /// <summary>Builds the tf.Example.</summary>
    /// <returns>The example.</returns>
    Example ToExample();
}
