using System.Reflection;
using System.Runtime.Loader;
using Google.Protobuf;
using Microsoft.CodeAnalysis;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Samples;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>
/// Compiles each scenario with the generator and Warmup.Format, loads the assembly, runs its manifest the way the
/// build host does (one attribute, one type, CreateLogs) and compares the records with PredictionLogs built by hand.
/// </summary>
public class BehaviourTests
{
    [Fact]
    public void Predict_with_several_dtypes_builds_the_expected_request()
    {
        var logs = Load(Scenarios.PredictMultiInput, out var samples);
        Assert.Equal(["MultiInput.Basic"], samples.Select(s => s.Name));
        Assert.Equal("multi_input", samples[0].Model);
        Assert.Equal("Samples0.cs", samples[0].SourceFile);
        Assert.Equal(9, samples[0].Line);

        var request = PredictRequest("multi_input");
        request.Inputs.Add("image", Content(DataType.DtFloat, [1, 2, 2], Floats(1f, 2f, 3f, 4f)));
        request.Inputs.Add("ids", Content(DataType.DtInt64, [1, 3], Longs(1, 2, 3)));
        request.Inputs.Add("mask", Typed(DataType.DtBool, [1], t => t.BoolVal.Add(true)));
        request.Inputs.Add("scale", Typed(DataType.DtHalf, [], t => t.HalfVal.Add(BitConverter.HalfToUInt16Bits((Half)0.5f))));
        request.Inputs.Add("label", Typed(DataType.DtString, [1], t => t.StringVal.Add(ByteString.CopyFromUtf8("a"))));
        request.Inputs.Add("level", Typed(DataType.DtInt32, [1], t => t.IntVal.Add(7)));
        AssertSameBytes([new PredictionLog { PredictLog = new PredictLog { Request = request } }], logs);
    }

    [Fact]
    public void Classify_regress_and_multi_inference_send_tf_examples()
    {
        var logs = Load(Scenarios.ClassifyRegress, out var samples);
        Assert.Equal(["HalfPlusTwo.Regress", "HalfPlusTwo.Classify", "multi", "HalfPlusTwo.Regress2"], samples.Select(s => s.Name));

        var regress = new PredictionLog
        {
            RegressLog = new RegressLog
            {
                Request = new RegressionRequest { ModelSpec = Spec("half_plus_two", "regress_x_to_y"), Input = ExampleList(Example(("x", FloatFeature(1f)))) },
            },
        };

        var classifyInput = new ExampleListWithContext { Context = Example(("x", FloatFeature(0f))) };
        classifyInput.Examples.Add(Example(
            ("x", FloatFeature(2f)),
            ("tag", new Feature { BytesList = new BytesList { Value = { ByteString.CopyFromUtf8("b") } } }),
            ("raw", new Feature { BytesList = new BytesList { Value = { ByteString.CopyFrom(0, 255) } } }),
            ("id", new Feature { Int64List = new Int64List { Value = { 5 } } })));
        var classify = new PredictionLog
        {
            ClassifyLog = new ClassifyLog
            {
                Request = new ClassificationRequest { ModelSpec = Spec("half_plus_two", "classify_x_to_y"), Input = new Input { ExampleListWithContext = classifyInput } },
            },
        };

        var multiRequest = new MultiInferenceRequest { Input = ExampleList(Example(("x", FloatFeature(3f)))) };
        multiRequest.Tasks.Add(new InferenceTask { ModelSpec = Spec("half_plus_two", "regress_x_to_y"), MethodName = "tensorflow/serving/regress" });
        multiRequest.Tasks.Add(new InferenceTask { ModelSpec = Spec("half_plus_two", "classify_x_to_y"), MethodName = "tensorflow/serving/classify" });
        var multi = new PredictionLog { MultiInferenceLog = new MultiInferenceLog { Request = multiRequest } };

        // BatchSizes = { 3 } over two examples: the examples repeat cyclically (1, 2, 1).
        var regress2 = new PredictionLog
        {
            RegressLog = new RegressLog
            {
                Request = new RegressionRequest
                {
                    ModelSpec = Spec("half_plus_two", "regress_x_to_y2"),
                    Input = ExampleList(Example(("x", FloatFeature(1f))), Example(("x", FloatFeature(2f))), Example(("x", FloatFeature(1f)))),
                },
            },
        };

        // Iterations = 2 writes the classify record twice, one after the other.
        AssertSameBytes([regress, classify, classify, multi, regress2], logs);
    }

    [Fact]
    public void Batch_sizes_tile_rows_along_dimension_zero()
    {
        var logs = Load(Scenarios.BatchExpansion, out _);
        var expected = new List<PredictionLog>();
        foreach (float[] rows in new[] { new[] { 1f, 2f }, new[] { 3f } })
        {
            foreach (int batch in new[] { 1, 4, 32 })
            {
                float[] tiled = Enumerable.Range(0, batch).Select(i => rows[i % rows.Length]).ToArray();
                var request = PredictRequest("half_plus_two");
                request.Inputs.Add("x", batch == 1
                    ? Typed(DataType.DtFloat, [1, 1], t => t.FloatVal.Add(tiled[0]))
                    : Content(DataType.DtFloat, [batch, 1], Floats(tiled)));
                expected.Add(new PredictionLog { PredictLog = new PredictLog { Request = request } });
            }
        }

        AssertSameBytes(expected, logs);
    }

    [Fact]
    public void Hand_declared_signature_builds_requests_without_a_signature_file()
    {
        var logs = Load(Scenarios.HandDeclared, out var samples);
        Assert.Equal(["Ranker.Requests", "Ranker.Embed"], samples.Select(s => s.Name));

        var first = PredictRequest("ranker");
        first.Inputs.Add("dense", Content(DataType.DtFloat, [1, 4], Floats(1, 2, 3, 4)));
        first.Inputs.Add("query_ids", Content(DataType.DtInt64, [1, 8], Longs(new long[8])));
        first.Inputs.Add("temperature", Typed(DataType.DtFloat, [], t => t.FloatVal.Add(0.5f)));
        var second = PredictRequest("ranker");
        second.Inputs.Add("dense", Content(DataType.DtFloat, [2, 4], Floats(new float[8])));
        second.Inputs.Add("query_ids", Content(DataType.DtInt64, [2, 8], Longs(new long[16])));
        second.Inputs.Add("temperature", Typed(DataType.DtFloat, [], t => t.FloatVal.Add(1f)));
        var embed = new PredictRequest { ModelSpec = Spec("ranker", "embed") };
        embed.Inputs.Add("tokens", Typed(DataType.DtString, [2], t => t.StringVal.Add([ByteString.CopyFromUtf8("hello"), ByteString.CopyFromUtf8("hello")])));

        AssertSameBytes(
            [
                new PredictionLog { PredictLog = new PredictLog { Request = first } },
                new PredictionLog { PredictLog = new PredictLog { Request = second } },
                new PredictionLog { PredictLog = new PredictLog { Request = embed } },
            ],
            logs);
    }

    [Fact]
    public void Manifest_orders_models_by_name_and_reaches_nested_classes()
    {
        var logs = Load(Scenarios.NestedNamespaced, out var samples);
        Assert.Equal(["a_global", "detector"], samples.Select(s => s.Model));
        Assert.Equal(["GlobalModel.Pair", "blank image"], samples.Select(s => s.Name));

        var pair = PredictRequest("a_global");
        pair.Inputs.Add("x", Content(DataType.DtDouble, [2], Doubles(1.5, -2.5)));
        var blank = PredictRequest("detector");
        blank.Inputs.Add("image", Content(DataType.DtUint8, [1, 2, 2, 3], new byte[12]));
        blank.Inputs.Add("score_threshold", Typed(DataType.DtFloat, [], t => t.FloatVal.Add(0.25f)));
        AssertSameBytes(
            [new PredictionLog { PredictLog = new PredictLog { Request = pair } }, new PredictionLog { PredictLog = new PredictLog { Request = blank } }],
            logs);
    }

    [Fact]
    public void String_inputs_take_raw_bytes_too()
    {
        var scenario = new Scenarios.Scenario("Bytes", """
            using Warmup;

            [WarmupModel("images")]
            [WarmupInput("image", WarmupDType.String, -1)]
            public partial class Images
            {
                [WarmupSample(BatchSizes = new[] { 2 })]
                public static ServingDefaultInputs Jpeg => new() { ImageBytes = [[0xFF, 0xD8, 0x00]] };

                [WarmupSample]
                public static ServingDefaultInputs Both => Make();

                private static ServingDefaultInputs Make() => new() { Image = ["a"], ImageBytes = [[1]] };
            }
            """);
        IWarmupManifest manifest = LoadManifest(scenario, out _);

        var request = PredictRequest("images");
        request.Inputs.Add("image", Typed(DataType.DtString, [2], t => t.StringVal.Add([ByteString.CopyFrom(0xFF, 0xD8, 0x00), ByteString.CopyFrom(0xFF, 0xD8, 0x00)])));
        AssertSameBytes([new PredictionLog { PredictLog = new PredictLog { Request = request } }], manifest.Samples[0].CreateLogs().ToList());
        var both = Assert.Throws<InvalidOperationException>(() => manifest.Samples[1].CreateLogs().ToList());
        Assert.Equal("Input 'image' is set twice: set Image or ImageBytes, not both.", both.Message);
    }

    [Fact]
    public void Values_the_generator_cannot_see_are_checked_when_the_sample_runs()
    {
        var scenario = new Scenarios.Scenario("Runtime", """
            using Warmup;

            [WarmupModel("half_plus_two")]
            public partial class Runtime
            {
                [WarmupSample]
                public static ServingDefaultInputs Missing => Make();

                [WarmupSample]
                public static ServingDefaultInputs Wide => MakeWide();

                private static ServingDefaultInputs Make() => new ServingDefaultInputs();

                private static ServingDefaultInputs MakeWide() => new ServingDefaultInputs { X = new float[1, 2] };
            }
            """, ("/src/obj/warmup/half_plus_two.warmup-signature", Scenarios.HalfPlusTwoSignature));
        IWarmupManifest manifest = LoadManifest(scenario, out _);

        var missing = Assert.Throws<InvalidOperationException>(() => manifest.Samples[0].CreateLogs().ToList());
        Assert.Equal("Input 'x' of signature 'serving_default' of model 'half_plus_two' is not set: every input is required.", missing.Message);
        var wide = Assert.Throws<InvalidOperationException>(() => manifest.Samples[1].CreateLogs().ToList());
        // Format's shape rule (TensorRules, as `warmup validate` applies it), with the input, signature and model named.
        Assert.Equal("Input \"x\" of signature \"serving_default\" of model \"half_plus_two\" has shape [1,2]: size 2 in dimension 1 where the model takes 1 (model input \"x\" is [?,1]). Write the sample with the model's shape.", wide.Message);
    }

    [Fact]
    public void A_symbolic_dimension_gets_one_size_per_record()
    {
        var scenario = new Scenarios.Scenario("Symbols", """
            using Warmup;

            [WarmupModel("multi_input")]
            public partial class Symbols
            {
                [WarmupSample]
                public static ServingDefaultInputs Uneven => Make();

                [WarmupSample(BatchSizes = new[] { 3 })]
                public static ServingDefaultInputs Tiled => Make();

                private static ServingDefaultInputs Make() => new()
                {
                    Image = new float[1, 2, 2],
                    Ids = new long[2, 3],
                    Mask = [true],
                    Scale = (System.Half)1,
                    Label = ["a"],
                    Level = [1],
                };
            }
            """, ("/src/obj/warmup/multi_input.warmup-signature", Scenarios.MultiInputSignature));
        IWarmupManifest manifest = LoadManifest(scenario, out _);

        // Inputs are added (and checked) in ordinal order of name: "ids" gives "batch" its size first.
        var uneven = Assert.Throws<InvalidOperationException>(() => manifest.Samples[0].CreateLogs().ToList());
        Assert.Equal("Input \"image\" of signature \"serving_default\" of model \"multi_input\" has shape [1,2,2]: size 1 for dimension \"batch\", which is 2 in input \"ids\" (model input \"image\" is [batch,2,2]). Write the sample with the model's shape.", uneven.Message);
        // Tiled to one batch size, every batch input agrees.
        var tiled = Assert.Single(manifest.Samples[1].CreateLogs()).PredictLog.Request.Inputs;
        Assert.All(new[] { "ids", "image", "label", "level", "mask" }, name => Assert.Equal(3, tiled[name].TensorShape.Dim[0].Size));
    }

    private static List<PredictionLog> Load(Scenarios.Scenario scenario, out IReadOnlyList<WarmupSample> samples)
    {
        IWarmupManifest manifest = LoadManifest(scenario, out _);
        samples = manifest.Samples;
        return manifest.Samples.SelectMany(s => s.CreateLogs()).ToList();
    }

    /// <summary>Emits the compilation, loads it in a collectible context and instantiates the manifest named by the assembly attribute.</summary>
    internal static IWarmupManifest LoadManifest(Scenarios.Scenario scenario, out Assembly assembly)
    {
        GeneratorHarness.Result result = Scenarios.Run(scenario);
        Assert.Equal("", string.Join("\n", result.GeneratorDiagnostics));
        using var image = new MemoryStream();
        var emit = result.Output.Emit(image);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        // Warmup.Format and Google.Protobuf resolve from the default context, so the contract types are shared.
        var context = new AssemblyLoadContext("warmup-samples-" + scenario.Name, isCollectible: true);
        image.Position = 0;
        assembly = context.LoadFromStream(image);
        var attribute = assembly.GetCustomAttribute<WarmupManifestAttribute>();
        Assert.NotNull(attribute);
        return (IWarmupManifest)Activator.CreateInstance(attribute.ManifestType)!;
    }

    private static void AssertSameBytes(IReadOnlyList<PredictionLog> expected, IReadOnlyList<PredictionLog> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            // Generated logs are already in deterministic (sorted-map) order: their plain bytes equal the sorted bytes of the hand-built ones.
            byte[] want = DeterministicProto.Serialize(expected[i]);
            byte[] got = actual[i].ToByteArray();
            Assert.True(want.AsSpan().SequenceEqual(got), $"record {i} differs:\nexpected {expected[i]}\nactual   {actual[i]}");
        }
    }

    private static PredictRequest PredictRequest(string model) => new() { ModelSpec = Spec(model, "serving_default") };

    private static ModelSpec Spec(string model, string signature) => new() { Name = model, SignatureName = signature };

    private static TensorShapeProto Shape(long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long dim in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = dim });
        }

        return shape;
    }

    /// <summary>A tensor with more than one element: raw little-endian bytes in tensor_content, as tf.make_tensor_proto writes.</summary>
    private static TensorProto Content(DataType dtype, long[] shape, byte[] content)
        => new() { Dtype = dtype, TensorShape = Shape(shape), TensorContent = ByteString.CopyFrom(content) };

    /// <summary>A single-element (or string) tensor: the typed value field.</summary>
    private static TensorProto Typed(DataType dtype, long[] shape, Action<TensorProto> fill)
    {
        var tensor = new TensorProto { Dtype = dtype, TensorShape = Shape(shape) };
        fill(tensor);
        return tensor;
    }

    private static byte[] Floats(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] Doubles(params double[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] Longs(params long[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private static Feature FloatFeature(float value) => new() { FloatList = new FloatList { Value = { value } } };

    private static Example Example(params (string Name, Feature Feature)[] features)
    {
        var example = new Example { Features = new Features() };
        foreach ((string name, Feature feature) in features)
        {
            example.Features.Feature.Add(name, feature);
        }

        return example;
    }

    private static Input ExampleList(params Example[] examples)
    {
        var list = new ExampleList();
        list.Examples.Add(examples);
        return new Input { ExampleList = list };
    }
}
