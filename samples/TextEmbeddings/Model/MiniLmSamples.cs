using Warmup;

namespace TextEmbeddings;

/// <summary>
/// Warmup samples for all-MiniLM-L6-v2 (inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>: int64
/// [batch, sequence]). ONNX Runtime plans memory and picks kernels per input shape, so the samples cover the sequence
/// lengths and batch sizes the service will see: 3 lengths × 2 batch sizes = 6 records.
/// </summary>
[WarmupModel("all_minilm_l6_v2")]
public static partial class MiniLmSamples
{
    /// <summary>A short query (16 tokens), as one request and as a batch of 8.</summary>
    [WarmupSample(BatchSizes = new[] { 1, 8 })]
    public static ServingDefaultInputs ShortQuery => Tokens(16);

    /// <summary>A sentence (64 tokens).</summary>
    [WarmupSample(BatchSizes = new[] { 1, 8 })]
    public static ServingDefaultInputs Sentence => Tokens(64);

    /// <summary>A paragraph (128 tokens).</summary>
    [WarmupSample(BatchSizes = new[] { 1, 8 })]
    public static ServingDefaultInputs Paragraph => Tokens(128);

    /// <summary>[CLS] w1 … wn [SEP] with BERT's vocabulary ids; the values do not matter to warmup, the shapes do.</summary>
    public static ServingDefaultInputs Tokens(int length)
    {
        var ids = new long[1, length];
        var mask = new long[1, length];
        var types = new long[1, length];
        for (var i = 0; i < length; i++)
        {
            ids[0, i] = i == 0 ? 101 : i == length - 1 ? 102 : 2000 + (i * 37 % 1000);
            mask[0, i] = 1;
        }

        return new ServingDefaultInputs { InputIds = ids, AttentionMask = mask, TokenTypeIds = types };
    }
}
