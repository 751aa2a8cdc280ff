using System.Reflection;
using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>
/// Generated code for representative models, compared with checked-in baselines under Baselines/&lt;scenario&gt;/. The
/// generator's version (from the build) is written as <see cref="VersionToken"/> there, so a release changes no baseline.
/// Set WARMUP_UPDATE_BASELINES=1 to rewrite them after an intended change, then review the diff.
/// </summary>
public class BaselineTests
{
    private const string VersionToken = "$(Version)";

    public static TheoryData<string> ScenarioNames => new(Scenarios.All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Generated_code_matches_baseline_and_compiles(string name)
    {
        Scenarios.Scenario scenario = Scenarios.All.Single(s => s.Name == name);
        GeneratorHarness.Result result = Scenarios.Run(scenario);

        Assert.Equal("", string.Join("\n", result.GeneratorDiagnostics));
        // No warning at all in generated code (including missing XML docs); the scenarios' own classes are undocumented.
        Assert.Equal("", string.Join("\n", result.Output.GetDiagnostics().Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning
            && !(d.Id == "CS1591" && d.Location.SourceTree?.FilePath.StartsWith("/src/Samples", StringComparison.Ordinal) == true))));

        string directory = Path.Combine(GeneratorHarness.SourceDirectory, "Baselines", name);
        bool update = Environment.GetEnvironmentVariable("WARMUP_UPDATE_BASELINES") == "1";
        var generated = result.RunResult.GeneratedSources
            .ToDictionary(s => s.HintName, s => s.SourceText.ToString().Replace(GeneratedCodeVersion(), GeneratedCodeVersion(VersionToken), StringComparison.Ordinal));
        if (update)
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            Directory.CreateDirectory(directory);
            foreach ((string hint, string text) in generated)
            {
                File.WriteAllText(Path.Combine(directory, hint), text);
            }

            return;
        }

        Assert.True(Directory.Exists(directory), $"No baselines in {directory}: run with WARMUP_UPDATE_BASELINES=1 and review them.");
        string[] expectedFiles = Directory.GetFiles(directory).Select(Path.GetFileName).OfType<string>()
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expectedFiles, generated.Keys.Order(StringComparer.Ordinal).ToArray());
        foreach ((string hint, string text) in generated)
        {
            string expected = File.ReadAllText(Path.Combine(directory, hint));
            Assert.True(expected == text, $"{name}/{hint} differs from its baseline. Run with WARMUP_UPDATE_BASELINES=1 and review the diff.\n--- generated ---\n{text}");
        }
    }

    [Fact]
    public void Generated_code_carries_the_version_of_the_build()
    {
        // Both assemblies get their version from Directory.Build.props (or -p:Version); SourceLink may append "+commit".
        string build = VersionOf(typeof(BaselineTests).Assembly);
        Assert.NotEqual("", build);
        string text = Scenarios.Run(Scenarios.BatchExpansion).Generated("HalfPlusTwoBatches.Warmup.g.cs");

        Assert.Equal(build, VersionOf(typeof(WarmupGenerator).Assembly));
        Assert.Contains(GeneratedCodeVersion(build), text, StringComparison.Ordinal);
        Assert.DoesNotContain(VersionToken, text, StringComparison.Ordinal);
    }

    private static string VersionOf(Assembly assembly)
        => assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "";

    /// <summary>The generated [GeneratedCode] attribute's arguments, for a version (default: the generator's).</summary>
    private static string GeneratedCodeVersion(string? version = null)
        => "GeneratedCode(\"Warmup.Generator\", \"" + (version ?? VersionOf(typeof(WarmupGenerator).Assembly)) + "\")";

    [Fact]
    public void Same_input_gives_the_same_bytes()
    {
        foreach (Scenarios.Scenario scenario in Scenarios.All)
        {
            var first = Scenarios.Run(scenario).RunResult.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())).ToArray();
            var second = Scenarios.Run(scenario).RunResult.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())).ToArray();
            Assert.Equal(first, second);
        }
    }

}
