using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;
using Warmup.Runtime.Hosting;

namespace TextEmbeddings.Server;

/// <summary>A request the service refuses, with the message the client gets (HTTP 400).</summary>
public sealed class BadTextException(string message) : Exception(message);

/// <summary>What <c>POST /embed</c> answers: one L2-normalised 384-dimensional vector per text.</summary>
public sealed record EmbedResponse(string Model, int[] Tokens, float[][] Embeddings);

/// <summary>
/// The service's inference, in one place: BERT tokenization (Microsoft.ML.Tokenizers with the package's vocab.txt,
/// lower-cased as all-MiniLM-L6-v2 expects), padding to the sequence lengths the warmup file covers, the session run,
/// mean pooling over the attention mask and L2 normalisation. The endpoint and the request-path warmup both call
/// <see cref="Embed"/>.
/// </summary>
public sealed class Embeddings
{
    /// <summary>Most texts per request (the warmup file covers batch sizes 1 and 8).</summary>
    public const int MaxTexts = 8;

    /// <summary>Most tokens per text, [CLS] and [SEP] included (all-MiniLM-L6-v2 was trained on 256).</summary>
    public const int MaxTokens = 256;

    /// <summary>Most characters per text, checked before tokenizing.</summary>
    public const int MaxChars = 16_384;

    // Sequence lengths are padded up to these (the warmup file's 16, 64 and 128, then the limit), so that a request
    // meets a shape ONNX Runtime has already planned for instead of a new one per length.
    private static readonly int[] Lengths = [16, 64, 128, MaxTokens];

    private readonly WarmedOnnxModel _model;
    private readonly BertTokenizer _tokenizer;

    public Embeddings([FromKeyedServices("all_minilm_l6_v2")] WarmedOnnxModel model)
    {
        _model = model;
        _tokenizer = BertTokenizer.Create(Path.Combine(AppContext.BaseDirectory, "minilm", "vocab.txt"),
            new BertOptions { LowerCaseBeforeTokenization = true });
    }

    /// <summary>Embeds <paramref name="texts"/>.</summary>
    /// <exception cref="BadTextException">No texts, too many, an empty or too long one.</exception>
    public EmbedResponse Embed(IReadOnlyList<string?>? texts)
    {
        if (texts is null || texts.Count == 0)
        {
            throw new BadTextException("texts is missing or empty: send {\"texts\": [\"a sentence\", …]}.");
        }

        if (texts.Count > MaxTexts)
        {
            throw new BadTextException($"{texts.Count} texts were sent; the service takes at most {MaxTexts} per request.");
        }

        var ids = new IReadOnlyList<int>[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            var text = texts[i];
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new BadTextException($"texts[{i}] is empty: every text needs at least one word.");
            }

            if (text.Length > MaxChars)
            {
                throw new BadTextException($"texts[{i}] has {text.Length} characters; the service takes at most {MaxChars}.");
            }

            ids[i] = _tokenizer.EncodeToIds(text, addSpecialTokens: true, considerPreTokenization: true, considerNormalization: true);
            if (ids[i].Count > MaxTokens)
            {
                throw new BadTextException($"texts[{i}] has {ids[i].Count} tokens; all-MiniLM-L6-v2 takes at most {MaxTokens}. Split the text.");
            }
        }

        var length = Lengths.First(l => l >= ids.Max(t => t.Count));
        var batch = texts.Count;
        var inputIds = new DenseTensor<long>([batch, length]);
        var mask = new DenseTensor<long>([batch, length]);
        var types = new DenseTensor<long>([batch, length]);
        for (var b = 0; b < batch; b++)
        {
            for (var t = 0; t < ids[b].Count; t++)
            {
                inputIds[b, t] = ids[b][t];
                mask[b, t] = 1;
            }
        }

        using var results = _model.Session.Run([
            NamedOnnxValue.CreateFromTensor("input_ids", inputIds),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", types),
        ]);
        var hidden = results[0].AsTensor<float>();   // last_hidden_state [batch, length, 384]
        var dimensions = hidden.Dimensions[2];
        var embeddings = new float[batch][];
        for (var b = 0; b < batch; b++)
        {
            var vector = new float[dimensions];
            for (var t = 0; t < ids[b].Count; t++)
            {
                for (var d = 0; d < dimensions; d++)
                {
                    vector[d] += hidden[b, t, d];
                }
            }

            var norm = MathF.Sqrt(vector.Sum(v => v * v));
            for (var d = 0; d < dimensions; d++)
            {
                vector[d] /= norm;
            }

            embeddings[b] = vector;
        }

        return new EmbedResponse(_model.Name, ids.Select(t => t.Count).ToArray(), embeddings);
    }

    /// <summary>
    /// A warmup record as the texts a client would send: each row of its <c>input_ids</c>, decoded back to text by the
    /// same tokenizer (special tokens dropped).
    /// </summary>
    public string[] TextsOf(WarmupRequest record)
    {
        var input = record.Input("input_ids");
        var values = input.GetValues<long>();
        var (rows, columns) = ((int)input.Shape[0], (int)input.Shape[1]);
        return Enumerable.Range(0, rows)
            .Select(r => _tokenizer.Decode(values.Skip(r * columns).Take(columns).Select(v => (int)v), skipSpecialTokens: true))
            .ToArray();
    }
}
