using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>What each kind of edit re-runs. The generator's own tracked steps are named in WarmupGenerator.Steps.</summary>
public class IncrementalityTests
{
    private static readonly string[] StepNames = typeof(WarmupGenerator.Steps)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToArray();

    private const string ModelA = """
        using Warmup;
        namespace Demo;
        [WarmupModel("half_plus_two")]
        public partial class HalfPlusTwo
        {
            [WarmupSample(BatchSizes = new[] { 1 })]
            public static ServingDefaultInputs One => new() { X = new float[,] { { 1f } } };
        }
        """;

    private const string ModelB = """
        using Warmup;
        namespace Demo;
        [WarmupModel("multi_input")]
        public partial class MultiInput
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
        """;

    private const string Unrelated = "namespace Demo; public class Unrelated { public int Value => 1; }";

    private static readonly AdditionalText HalfPlusTwoFile = GeneratorHarness.Signature("/src/obj/warmup/half_plus_two.warmup-signature", Scenarios.HalfPlusTwoSignature);
    private static readonly AdditionalText MultiInputFile = GeneratorHarness.Signature("/src/obj/warmup/multi_input.warmup-signature", Scenarios.MultiInputSignature);

    /// <summary>A second declaration of model A's class, in its own file, without [WarmupModel].</summary>
    private const string ModelAPart = """
        using Warmup;
        namespace Demo;
        public partial class HalfPlusTwo
        {
            [WarmupSample(BatchSizes = new[] { 1 })]
            public static ServingDefaultInputs Two => new() { X = new float[,] { { 2f } } };
        }
        """;

    [Fact]
    public void Unrelated_edit_leaves_every_tracked_step_cached_or_unchanged()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = FirstRun();
        CSharpCompilation edited = Replace(compilation, 2, Unrelated.Replace("=> 1", "=> 2", StringComparison.Ordinal));
        AssertNothingRegenerated(driver.RunGenerators(edited).GetRunResult().Results.Single());
    }

    public static TheoryData<int, string> AttributedEdits => new()
    {
        // An attributed member in an unrelated class, and a non-sample attributed member in a model class (after its sample).
        { 2, Unrelated.Replace("public int Value => 1;", "public int Value => 1; [System.Obsolete(\"x\")] public static int Old => 1;", StringComparison.Ordinal) },
        { 0, ModelA.Replace("{ { 1f } } };", "{ { 1f } } };\n    [System.Obsolete(\"x\")] public static int Helper => 1;", StringComparison.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(AttributedEdits))]
    public void Adding_an_attributed_member_that_is_no_sample_regenerates_nothing(int file, string text)
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = FirstRun();
        Assert.NotEqual(compilation.SyntaxTrees.ElementAt(file).ToString(), text);
        AssertNothingRegenerated(driver.RunGenerators(Replace(compilation, file, text)).GetRunResult().Results.Single());
    }

    [Fact]
    public void Editing_a_sample_in_another_partial_declaration_regenerates_only_that_model()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = FirstRun(ModelAPart);
        GeneratorRunResult before = driver.GetRunResult().Results.Single();
        Assert.Contains("CreateWarmupLogs(1)", Source(before, "Warmup.Manifest.g.cs"), StringComparison.Ordinal);

        CSharpCompilation edited = Replace(compilation, 3, ModelAPart.Replace("BatchSizes = new[] { 1 }", "BatchSizes = new[] { 1, 2 }", StringComparison.Ordinal));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var units = result.TrackedSteps[WarmupGenerator.Steps.ModelUnits].SelectMany(s => s.Outputs).ToArray();
        Assert.Equal(IncrementalStepRunReason.Modified, units.Single(u => Describe(u.Value).Contains("half_plus_two", StringComparison.Ordinal)).Reason);
        Assert.True(IsReused(units.Single(u => Describe(u.Value).Contains("multi_input", StringComparison.Ordinal)).Reason));
        var modifiedOutputs = result.TrackedOutputSteps.SelectMany(o => o.Value).SelectMany(s => s.Outputs).Where(o => o.Reason == IncrementalStepRunReason.Modified).ToArray();
        Assert.Single(modifiedOutputs);
        Assert.Contains("Demo.HalfPlusTwo.Warmup.g.cs", Describe(modifiedOutputs[0].Value), StringComparison.Ordinal);
        // The first declaration's sample keeps batch size 1; the edited one now has 1 and 2.
        string generated = Source(result, "Demo.HalfPlusTwo.Warmup.g.cs");
        Assert.Contains("new[] { 1 }", generated, StringComparison.Ordinal);
        Assert.Contains("new[] { 1, 2 }", generated, StringComparison.Ordinal);
        Assert.Equal(Source(before, "Demo.MultiInput.Warmup.g.cs"), Source(result, "Demo.MultiInput.Warmup.g.cs"));
    }

    private static void AssertNothingRegenerated(GeneratorRunResult result)
    {
        int checkedOutputs = 0;
        foreach (string name in StepNames)
        {
            foreach (IncrementalGeneratorRunStep step in result.TrackedSteps[name])
            {
                foreach ((object _, IncrementalStepRunReason reason) in step.Outputs)
                {
                    Assert.True(IsReused(reason), $"{name}: {reason}");
                    checkedOutputs++;
                }
            }
        }

        Assert.True(checkedOutputs >= StepNames.Length);
        // Outputs: the source outputs are cached; the diagnostics output re-runs on the new compilation but reports the same (nothing).
        Assert.All(result.TrackedOutputSteps.SelectMany(o => o.Value).SelectMany(s => s.Outputs), o => Assert.True(IsReused(o.Reason), o.Reason.ToString()));
    }

    [Fact]
    public void Editing_one_sample_modifies_only_that_models_output()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = FirstRun();
        CSharpCompilation edited = Replace(compilation, 0, ModelA.Replace("BatchSizes = new[] { 1 }", "BatchSizes = new[] { 1, 2 }", StringComparison.Ordinal));
        GeneratorDriver next = driver.RunGenerators(edited);
        GeneratorRunResult result = next.GetRunResult().Results.Single();

        var units = result.TrackedSteps[WarmupGenerator.Steps.ModelUnits].SelectMany(s => s.Outputs).ToArray();
        Assert.Equal(2, units.Length);
        Assert.Equal(IncrementalStepRunReason.Modified, units.Single(u => Describe(u.Value).Contains("half_plus_two", StringComparison.Ordinal)).Reason);
        Assert.True(IsReused(units.Single(u => Describe(u.Value).Contains("multi_input", StringComparison.Ordinal)).Reason));

        // Of all outputs (two model files, manifest, diagnostics), only this model's file changed.
        var modifiedOutputs = result.TrackedOutputSteps.SelectMany(o => o.Value).SelectMany(s => s.Outputs).Where(o => o.Reason == IncrementalStepRunReason.Modified).ToArray();
        Assert.Single(modifiedOutputs);
        Assert.Contains("Demo.HalfPlusTwo.Warmup.g.cs", Describe(modifiedOutputs[0].Value), StringComparison.Ordinal);

        // The other model's generated file is the same text; this model's file now expands to batch sizes 1 and 2.
        GeneratorRunResult before = driver.GetRunResult().Results.Single();
        Assert.Equal(Source(before, "Demo.MultiInput.Warmup.g.cs"), Source(result, "Demo.MultiInput.Warmup.g.cs"));
        Assert.Contains("new[] { 1, 2 }", Source(result, "Demo.HalfPlusTwo.Warmup.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void Editing_only_a_sample_value_regenerates_nothing()
    {
        // Values are evaluated when the build runs the samples; the generated code does not depend on them.
        (GeneratorDriver driver, CSharpCompilation compilation) = FirstRun();
        CSharpCompilation edited = Replace(compilation, 0, ModelA.Replace("{ { 1f } }", "{ { 2f } }", StringComparison.Ordinal));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var declarations = result.TrackedSteps[WarmupGenerator.Steps.ModelDeclarations].SelectMany(s => s.Outputs).ToArray();
        Assert.Contains(declarations, o => o.Reason == IncrementalStepRunReason.Unchanged || o.Reason == IncrementalStepRunReason.Modified);
        Assert.All(result.TrackedSteps[WarmupGenerator.Steps.ModelUnits].SelectMany(s => s.Outputs), o => Assert.True(IsReused(o.Reason), o.Reason.ToString()));
        Assert.All(result.TrackedOutputSteps.SelectMany(o => o.Value).SelectMany(s => s.Outputs), o => Assert.True(IsReused(o.Reason), o.Reason.ToString()));
    }

    [Fact]
    public void Signature_file_edit_regenerates_that_model()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = FirstRun();
        AdditionalText changed = GeneratorHarness.Signature(
            HalfPlusTwoFile.Path,
            Scenarios.HalfPlusTwoSignature.Replace("input x DT_FLOAT [-1,1] x:0", "input x DT_FLOAT [-1,1] x:0\ninput bias DT_DOUBLE [-1] bias:0", StringComparison.Ordinal));
        GeneratorDriver next = driver.ReplaceAdditionalText(HalfPlusTwoFile, changed).RunGenerators(compilation);
        GeneratorRunResult result = next.GetRunResult().Results.Single();

        Assert.Contains(result.TrackedSteps[WarmupGenerator.Steps.SignatureFiles].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        var units = result.TrackedSteps[WarmupGenerator.Steps.ModelUnits].SelectMany(s => s.Outputs).ToArray();
        Assert.Equal(IncrementalStepRunReason.Modified, units.Single(u => Describe(u.Value).Contains("half_plus_two", StringComparison.Ordinal)).Reason);
        Assert.True(IsReused(units.Single(u => Describe(u.Value).Contains("multi_input", StringComparison.Ordinal)).Reason));
        Assert.Contains("public double[]? Bias { get; init; }", Source(result, "Demo.HalfPlusTwo.Warmup.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void No_tracked_step_holds_symbols_syntax_compilations_or_locations()
    {
        // Include code with diagnostics so that DiagnosticInfo values are walked too.
        const string WithProblems = """
            using Warmup;
            namespace Demo;
            [WarmupModel("half_plus_two")]
            public partial class Problems
            {
                [WarmupSample(BatchSizes = new[] { 0 })]
                public static ServingDefaultInputs Bad => new() { Xs = new double[] { 1 } };
            }
            """;
        CSharpCompilation compilation = GeneratorHarness.Compile(ModelA, ModelB, Unrelated, WithProblems);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(HalfPlusTwoFile, MultiInputFile).RunGenerators(compilation);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.NotEmpty(result.Diagnostics);

        // The walker itself detects what it looks for.
        var probe = new GraphWalker();
        probe.Walk(new { Held = compilation.SyntaxTrees.First().GetRoot().GetLocation() }, "probe");
        Assert.Single(probe.Forbidden);

        var walker = new GraphWalker();
        foreach (string name in StepNames)
        {
            foreach (IncrementalGeneratorRunStep step in result.TrackedSteps[name])
            {
                foreach ((object value, IncrementalStepRunReason _) in step.Outputs)
                {
                    walker.Walk(value, name);
                }
            }
        }

        Assert.Empty(walker.Forbidden);
        // The walk really went through the models (not vacuous).
        Assert.Contains(typeof(WarmupGenerator).Assembly.GetType("Warmup.Generator.ModelUnit")!, walker.SeenTypes);
        Assert.Contains(typeof(WarmupGenerator).Assembly.GetType("Warmup.Generator.DiagnosticInfo")!, walker.SeenTypes);
        Assert.Contains(typeof(WarmupGenerator).Assembly.GetType("Warmup.Generator.InitializerInfo")!, walker.SeenTypes);
    }

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun(params string[] more)
    {
        CSharpCompilation compilation = GeneratorHarness.Compile([ModelA, ModelB, Unrelated, .. more]);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(HalfPlusTwoFile, MultiInputFile).RunGenerators(compilation);
        Assert.Empty(GeneratorHarness.WithoutGeneratedNames(driver.GetRunResult().Diagnostics));
        return (driver, compilation);
    }

    private static CSharpCompilation Replace(CSharpCompilation compilation, int index, string text)
    {
        SyntaxTree old = compilation.SyntaxTrees.ElementAt(index);
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, old.FilePath));
    }

    private static string Source(GeneratorRunResult result, string hintName)
        => result.GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();

    private static bool IsReused(IncrementalStepRunReason reason) => reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged;

    private static string Describe(object value)
    {
        // Source outputs are (generated sources, diagnostics) pairs of Roslyn-internal types: read the hint names.
        if (value is System.Runtime.CompilerServices.ITuple { Length: 2 } pair && pair[0] is IEnumerable sources)
        {
            return string.Join(",", sources.Cast<object>().Select(s => s.GetType().GetProperty("HintName", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(s)));
        }

        return value.ToString() ?? string.Empty;
    }

    /// <summary>Follows every field of every object reachable from a step output and records forbidden Roslyn objects.</summary>
    private sealed class GraphWalker
    {
        private static readonly Type[] ForbiddenTypes =
        [
            typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(SemanticModel), typeof(Location),
            typeof(SyntaxToken), typeof(SyntaxReference), typeof(AttributeData),
        ];

        private readonly HashSet<object> _visited = new(ReferenceEqualityComparer.Instance);

        public List<string> Forbidden { get; } = [];

        public HashSet<Type> SeenTypes { get; } = [];

        public void Walk(object? value, string path)
        {
            if (value is null || value is string || value is Pointer)
            {
                return;
            }

            Type type = value.GetType();
            if (type.IsPrimitive || type.IsEnum || type == typeof(decimal))
            {
                return;
            }

            if (ForbiddenTypes.Any(t => t.IsAssignableFrom(type)))
            {
                Forbidden.Add(path + " holds " + type.FullName);
                return;
            }

            if (!type.IsValueType && !_visited.Add(value))
            {
                return;
            }

            SeenTypes.Add(type);
            if (value is IEnumerable sequence && type.IsArray)
            {
                int i = 0;
                foreach (object? item in sequence)
                {
                    Walk(item, path + "[" + i++ + "]");
                }

                return;
            }

            for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType)
            {
                foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    Walk(field.GetValue(value), path + "." + field.Name);
                }
            }
        }
    }
}
