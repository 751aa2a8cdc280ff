using System.ComponentModel;
using Warmup.Format.Protos.Serving;

namespace Warmup.Format.Generated;

/// <summary>A generated inputs type: the values of one sample, which make one record per batch size.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IWarmupInputs
{
    /// <summary>Builds the record.</summary>
    /// <param name="batchSize">0 to send the values as written; otherwise tile rows along dimension 0 to this many.</param>
    /// <returns>The record.</returns>
    PredictionLog ToPredictionLog(int batchSize);
}
