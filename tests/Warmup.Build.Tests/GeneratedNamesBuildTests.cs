using Xunit;

namespace Warmup.Build.Tests;

/// <summary>WARMUP0021 in a real <c>dotnet build</c> of a package-referencing model project: an info diagnostic at the
/// <c>[WarmupModel]</c> attribute, printed at <c>-v d</c>, absent at the default verbosity, never an error.</summary>
public sealed class GeneratedNamesBuildTests
{
    [Fact]
    public async Task The_generated_names_info_shows_at_detailed_verbosity_and_never_fails_TreatWarningsAsErrors()
    {
        var consumer = await Consumer.CreateAsync("net10.0", "Library", """
            [WarmupSample]
            public static ServingDefaultInputs One => new() { X = new float[,] { { 1f } } };
        """);

        var detailed = await consumer.RunAsync("build", "-v", "d", "-p:TreatWarningsAsErrors=true");

        Assert.True(detailed.ExitCode == 0, detailed.Output);
        // Samples.cs line 5 is `[WarmupModel("half_plus_two")]`; column 2 is the attribute inside the brackets.
        Assert.Contains(
            "Samples.cs(5,2): info WARMUP0021: Model 'half_plus_two' generates HalfPlusTwoSamples.ServingDefaultInputs (serving_default: X float[,])",
            detailed.Output,
            StringComparison.Ordinal);

        var minimal = await consumer.RunAsync("build", "--no-incremental", "-p:TreatWarningsAsErrors=true");

        Assert.True(minimal.ExitCode == 0, minimal.Output);
        Assert.DoesNotContain("WARMUP0021", minimal.Output, StringComparison.Ordinal);
    }
}
