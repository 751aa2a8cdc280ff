using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>The generator never throws: malformed code gets diagnostics, and an unexpected failure becomes WARMUP0099.</summary>
public class RobustnessTests
{
    public static TheoryData<string> MalformedSources => new()
    {
        """[Warmup.WarmupModel] public partial class NoName { }""",
        """[Warmup.WarmupModel(null)] public partial class NullName { }""",
        """[Warmup.WarmupModel("half_plus_two")] public partial struct Struct { }""",
        """[Warmup.WarmupModel("half_plus_two")] public partial record Rec { [Warmup.WarmupSample] public static void Nothing() { } }""",
        """[Warmup.WarmupModel("half_plus_two")] public partial class Generic<T> { [Warmup.WarmupSample] public static ServingDefaultInputs S => new() { X = new float[,] { { 1f } } }; }""",
        """[Warmup.WarmupModel("half_plus_two")] public partial class Odd { [Warmup.WarmupSample(BatchSizes = null, Name = "")] public static ServingDefaultInputs this[int i] => null!; [Warmup.WarmupSample] public static ServingDefaultInputs S => new() { X = new float[,] { { 1f, } }, X = null, = 3 }; }""",
        """[Warmup.WarmupModel("half_plus_two")] [Warmup.WarmupInput(null, (Warmup.WarmupDType)999, null, Signature = null)] [Warmup.WarmupFeature(null, (Warmup.WarmupFeatureType)9)] [Warmup.WarmupSignature("", (Warmup.WarmupMethod)7)] public partial class Declared { }""",
        """namespace A.B { public partial class Outer<T> { [Warmup.WarmupModel("half_plus_two")] public partial interface IModel { } } }""",
        """[Warmup.WarmupModel("half_plus_two")] public partial class Incomplete { [Warmup.WarmupSample] public static ServingDefaultInputs S => new() { X = new float[,] { { """,
    };

    [Theory]
    [MemberData(nameof(MalformedSources))]
    public void Malformed_code_never_makes_the_generator_throw(string source)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(source, GeneratorHarness.Signature("/src/obj/warmup/half_plus_two.warmup-signature", Scenarios.HalfPlusTwoSignature));
        Assert.Null(result.RunResult.Exception);
        Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Id is "CS8785" or "WARMUP0099");
    }

    [Fact]
    public void An_unexpected_exception_becomes_WARMUP0099_instead_of_failing_the_build()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(
            """[Warmup.WarmupModel("half_plus_two")] public partial class Model { }""",
            new ThrowingText("/src/obj/warmup/half_plus_two.warmup-signature"));
        Assert.Null(result.RunResult.Exception);
        Diagnostic diagnostic = Assert.Single(result.GeneratorDiagnostics, d => d.Id == "WARMUP0099");
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Contains("IOException: disk on fire", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal("/src/obj/warmup/half_plus_two.warmup-signature", diagnostic.Location.GetLineSpan().Path);
    }

    private sealed class ThrowingText(string path) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => throw new IOException("disk on fire");
    }
}
