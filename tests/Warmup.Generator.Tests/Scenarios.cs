namespace Warmup.Generator.Tests;

/// <summary>Representative models and samples: each has a signature (file or hand-declared) and sample code.</summary>
internal static class Scenarios
{
    public sealed record Scenario(string Name, string Source, params (string Path, string Text)[] SignatureFiles);

    public const string MultiInputSignature = """
        warmup-signature 1
        model multi_input
        source models/multi_input.onnx
        format onnx
        signature serving_default predict
        input image DT_FLOAT [batch,2,2] image
        input ids DT_INT64 [batch,3] ids
        input mask DT_BOOL [-1] mask
        input scale DT_HALF [] scale
        input label DT_STRING [batch] label
        input level DT_INT32 [batch] level
        output y DT_FLOAT [batch,1] y

        """;

    /// <summary>Predict with several inputs of different dtypes and ranks (including a scalar).</summary>
    public static readonly Scenario PredictMultiInput = new("PredictMultiInput", """
        using Warmup;

        namespace Shop.Models;

        [WarmupModel("multi_input")]
        public static partial class MultiInput
        {
            [WarmupSample]
            public static ServingDefaultInputs Basic => new()
            {
                Image = new float[,,] { { { 1f, 2f }, { 3f, 4f } } },
                Ids = new long[,] { { 1, 2, 3 } },
                Mask = new[] { true },
                Scale = (System.Half)0.5f,
                Label = new[] { "a" },
                Level = [7],
            };
        }
        """, ("/src/obj/warmup/multi_input.warmup-signature", MultiInputSignature));

    /// <summary>TF Serving's half_plus_two SavedModel (TF 1.14): predict, classify and regress signatures.</summary>
    public const string HalfPlusTwoSignature = """
        warmup-signature 1
        model half_plus_two
        source models/saved_model_half_plus_two_cpu/00000123
        format savedmodel
        signature classify_x_to_y classify
        input inputs DT_STRING * tf_example:0
        output scores DT_FLOAT [-1,1] y:0
        signature regress_x2_to_y3 regress
        input inputs DT_FLOAT [-1,1] x2:0
        output outputs DT_FLOAT [-1,1] y3:0
        signature regress_x_to_y regress
        input inputs DT_STRING * tf_example:0
        output outputs DT_FLOAT [-1,1] y:0
        signature regress_x_to_y2 regress
        input inputs DT_STRING * tf_example:0
        output outputs DT_FLOAT [-1,1] y2:0
        signature serving_default predict
        input x DT_FLOAT [-1,1] x:0
        output y DT_FLOAT [-1,1] y:0

        """;

    /// <summary>Classify and regress with tf.Example features, multi-inference and iterations.</summary>
    public static readonly Scenario ClassifyRegress = new("ClassifyRegress", """
        using Warmup;

        namespace Serving.Samples;

        [WarmupModel("half_plus_two")]
        [WarmupFeature("x", WarmupFeatureType.Float)]
        [WarmupFeature("id", WarmupFeatureType.Int64)]
        [WarmupFeature("tag", WarmupFeatureType.String)]
        [WarmupFeature("raw", WarmupFeatureType.Bytes)]
        public static partial class HalfPlusTwo
        {
            [WarmupSample]
            public static RegressXToYInputs Regress => new() { Examples = new[] { new WarmupExample { X = new[] { 1f } } } };

            [WarmupSample(Iterations = 2)]
            public static ClassifyXToYInputs Classify => new()
            {
                Examples = [new() { X = [2f], Id = [5], Tag = ["b"], Raw = [new byte[] { 0, 255 }] }],
                Context = new() { X = [0f] },
            };

            [WarmupSample(Name = "multi")]
            public static MultiInferenceInputs Multi => new()
            {
                Signatures = ["regress_x_to_y", "classify_x_to_y"],
                Examples = [new() { X = [3f] }],
            };

            [WarmupSample(BatchSizes = new[] { 3 })]
            public static RegressXToY2Inputs Regress2 => new() { Examples = [new() { X = [1f] }, new() { X = [2f] }] };
        }
        """, ("/src/obj/warmup/half_plus_two.warmup-signature", HalfPlusTwoSignature));

    /// <summary>Batch expansion: several values, several batch sizes, a fixed non-batch dimension.</summary>
    public static readonly Scenario BatchExpansion = new("BatchExpansion", """
        using System.Collections.Generic;
        using Warmup;

        [WarmupModel("half_plus_two")]
        public partial class HalfPlusTwoBatches
        {
            [WarmupSample(BatchSizes = new[] { 1, 4, 32 })]
            public static IEnumerable<ServingDefaultInputs> Rows()
            {
                yield return new ServingDefaultInputs { X = new float[,] { { 1f }, { 2f } } };
                yield return new ServingDefaultInputs { X = new float[,] { { 3f } } };
            }
        }
        """, ("/src/obj/warmup/half_plus_two.warmup-signature", HalfPlusTwoSignature));

    /// <summary>A hand-declared signature: no model file, inputs declared with attributes.</summary>
    public static readonly Scenario HandDeclared = new("HandDeclared", """
        using System.Collections.Generic;
        using Warmup;

        namespace Acme.Ranking
        {
            [WarmupModel("ranker")]
            [WarmupInput("query_ids", WarmupDType.Int64, -1, 8)]
            [WarmupInput("dense", WarmupDType.Float, new long[] { -1, 4 })]
            [WarmupInput("temperature", WarmupDType.Float)]
            [WarmupInput("tokens", WarmupDType.String, Signature = "embed", UnknownRank = true)]
            internal partial class Ranker
            {
                [WarmupSample]
                internal static IEnumerable<ServingDefaultInputs> Requests()
                {
                    yield return new() { QueryIds = new long[1, 8], Dense = new float[,] { { 1, 2, 3, 4 } }, Temperature = 0.5f };
                    yield return new() { QueryIds = new long[2, 8], Dense = new float[2, 4], Temperature = 1f };
                }

                [WarmupSample(BatchSizes = new[] { 2 })]
                private static readonly EmbedInputs Embed = new() { Tokens = new[] { "hello" } };
            }
        }
        """);

    public const string DetectorSignature = """
        warmup-signature 1
        model detector
        source models/detector.onnx
        format onnx
        signature serving_default predict
        input image DT_UINT8 [-1,2,2,3] image
        input score_threshold DT_FLOAT [] score_threshold
        output boxes DT_FLOAT [-1,4] boxes

        """;

    public const string GlobalSignature = """
        warmup-signature 1
        model a_global
        format declared
        signature serving_default predict
        input x DT_DOUBLE [2] x

        """;

    /// <summary>A model class nested in a record and a class, in a namespace; and one in the global namespace.</summary>
    public static readonly Scenario NestedNamespaced = new("NestedNamespaced", """
        using Warmup;

        namespace Contoso.Vision.Models
        {
            public partial class Catalog
            {
                public partial record Detectors
                {
                    [WarmupModel("detector")]
                    internal partial class Detector
                    {
                        [WarmupSample(Name = "blank image")]
                        public static ServingDefaultInputs Blank => new() { Image = new byte[1, 2, 2, 3], ScoreThreshold = 0.25f };
                    }
                }
            }
        }

        [WarmupModel("a_global")]
        internal partial class GlobalModel
        {
            [WarmupSample]
            internal static ServingDefaultInputs Pair() => new() { X = new[] { 1.5, -2.5 } };
        }
        """, ("/src/obj/warmup/detector.warmup-signature", DetectorSignature), ("/src/obj/warmup/a_global.warmup-signature", GlobalSignature));

    public static readonly Scenario[] All = [PredictMultiInput, ClassifyRegress, BatchExpansion, HandDeclared, NestedNamespaced];

    public static GeneratorHarness.Result Run(Scenario scenario)
        => GeneratorHarness.Run(scenario.Source, scenario.SignatureFiles.Select(f => GeneratorHarness.Signature(f.Path, f.Text)).ToArray());
}
