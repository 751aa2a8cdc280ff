using System.ComponentModel;
using Google.Protobuf;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;

namespace Warmup.Format.Generated;

/// <summary>
/// What the code that the Warmup source generator emits has in common across models: a sample's records, and tf.Example
/// inputs. Not meant to be called by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SampleRecords
{
    /// <summary>The records of a sample that returns one value: one per batch size, each repeated <paramref name="iterations"/> times.</summary>
    /// <param name="value">What the sample returned.</param>
    /// <param name="sample">The sample's name, for the error when it returned <see langword="null"/>.</param>
    /// <param name="batchSizes">The batch sizes; <see langword="null"/> for one record, as written.</param>
    /// <param name="iterations">How many times each record is written.</param>
    /// <returns>The records, made as they are enumerated.</returns>
    public static IEnumerable<PredictionLog> Create(IWarmupInputs? value, string sample, int[]? batchSizes, int iterations) =>
        Create([value], sample, batchSizes, iterations);

    /// <summary>The records of a sample that returns several values: per value, per batch size, each repeated <paramref name="iterations"/> times.</summary>
    /// <param name="values">What the sample returned.</param>
    /// <param name="sample">The sample's name, for the error when it (or one of its values) is <see langword="null"/>.</param>
    /// <param name="batchSizes">The batch sizes; <see langword="null"/> for one record per value, as written.</param>
    /// <param name="iterations">How many times each record is written.</param>
    /// <returns>The records, made as they are enumerated.</returns>
    public static IEnumerable<PredictionLog> Create(IEnumerable<IWarmupInputs?>? values, string sample, int[]? batchSizes, int iterations)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return Records(values, sample, batchSizes is { Length: > 0 } ? batchSizes : [0], iterations);
    }

    /// <summary>
    /// The tf.Example input of a classify, regress or multi-inference request: <paramref name="examples"/> repeated cyclically
    /// to <paramref name="batchSize"/> examples (0 = as given), with <paramref name="context"/> when set.
    /// </summary>
    /// <param name="examples">The examples (required).</param>
    /// <param name="context">The context example, or <see langword="null"/>.</param>
    /// <param name="batchSize">0 to send the examples as written; otherwise how many to send.</param>
    /// <param name="signature">The signature key (or <c>multi-inference</c>), for errors.</param>
    /// <param name="model">The TF Serving model name, for errors.</param>
    /// <returns>The input.</returns>
    public static Input ToInput(IReadOnlyList<IWarmupExample?>? examples, IWarmupExample? context, int batchSize, string signature, string model)
    {
        var items = Tile(examples ?? throw SampleInput.Missing("Examples", signature, model), batchSize, signature, model);
        var converted = items.Select(example => (example ?? throw SampleInput.Missing("Examples[i]", signature, model)).ToExample());
        if (context is null)
        {
            var list = new ExampleList();
            list.Examples.AddRange(converted);
            return new Input { ExampleList = list };
        }

        var withContext = new ExampleListWithContext { Context = context.ToExample() };
        withContext.Examples.AddRange(converted);
        return new Input { ExampleListWithContext = withContext };
    }

    /// <summary>Adds feature <paramref name="key"/> (<c>float_list</c>) unless <paramref name="values"/> is <see langword="null"/>.</summary>
    /// <param name="features">The example's features.</param>
    /// <param name="key">The feature key.</param>
    /// <param name="values">The values, or <see langword="null"/> to leave the feature out.</param>
    public static void AddFeature(Features features, string key, float[]? values) =>
        Add(features, key, values, static v => new Feature { FloatList = new FloatList { Value = { v } } });

    /// <summary>Adds feature <paramref name="key"/> (<c>int64_list</c>) unless <paramref name="values"/> is <see langword="null"/>.</summary>
    /// <param name="features">The example's features.</param>
    /// <param name="key">The feature key.</param>
    /// <param name="values">The values, or <see langword="null"/> to leave the feature out.</param>
    public static void AddFeature(Features features, string key, long[]? values) =>
        Add(features, key, values, static v => new Feature { Int64List = new Int64List { Value = { v } } });

    /// <summary>Adds feature <paramref name="key"/> (<c>bytes_list</c>) unless <paramref name="values"/> is <see langword="null"/>.</summary>
    /// <param name="features">The example's features.</param>
    /// <param name="key">The feature key.</param>
    /// <param name="values">The values, or <see langword="null"/> to leave the feature out.</param>
    public static void AddFeature(Features features, string key, byte[][]? values) =>
        Add(features, key, values, v => Bytes(key, v, ByteString.CopyFrom));

    /// <summary>Adds feature <paramref name="key"/> (<c>bytes_list</c> of UTF-8 text) unless <paramref name="values"/> is <see langword="null"/>.</summary>
    /// <param name="features">The example's features.</param>
    /// <param name="key">The feature key.</param>
    /// <param name="values">The values, or <see langword="null"/> to leave the feature out.</param>
    public static void AddFeature(Features features, string key, string[]? values) =>
        Add(features, key, values, v => Bytes(key, v, ByteString.CopyFromUtf8));

    private static IEnumerable<PredictionLog> Records(IEnumerable<IWarmupInputs?>? values, string sample, int[] batchSizes, int iterations)
    {
        foreach (var value in values ?? throw NullSample(sample))
        {
            foreach (var batchSize in batchSizes)
            {
                var log = (value ?? throw NullSample(sample)).ToPredictionLog(batchSize);
                for (var iteration = 0; iteration < iterations; iteration++)
                {
                    yield return log;
                }
            }
        }
    }

    private static InvalidOperationException NullSample(string sample) => new($"Warmup sample '{sample}' returned null.");

    /// <summary>Adds a feature unless its values are <see langword="null"/> (unset features are left out).</summary>
    private static void Add<T>(Features features, string key, T[]? values, Func<T[], Feature> feature)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (values is not null)
        {
            features.Feature.Add(key, feature(values));
        }
    }

    private static Feature Bytes<T>(string key, T[] values, Func<T, ByteString> copy)
        where T : class
    {
        var list = new BytesList();
        foreach (var item in values)
        {
            list.Value.Add(copy(item ?? throw new InvalidOperationException($"Feature {key} has a null value.")));
        }

        return new Feature { BytesList = list };
    }

    /// <summary>Repeats <paramref name="items"/> cyclically to <paramref name="batchSize"/> items (0 = as given).</summary>
    private static IReadOnlyList<T> Tile<T>(IReadOnlyList<T> items, int batchSize, string signature, string model)
    {
        if (batchSize <= 0)
        {
            return items;
        }

        if (items.Count == 0)
        {
            throw new InvalidOperationException($"Signature '{signature}' of model '{model}' has no examples to tile to batch size {batchSize}.");
        }

        var tiled = new T[batchSize];
        for (var i = 0; i < batchSize; i++)
        {
            tiled[i] = items[i % items.Count];
        }

        return tiled;
    }
}
