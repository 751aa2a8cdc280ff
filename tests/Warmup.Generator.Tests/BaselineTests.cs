using Xunit;

namespace Warmup.Generator.Tests;

/// <summary>
/// Generated code for representative models, compared with checked-in baselines under Baselines/&lt;scenario&gt;/; the
/// files every scenario generates alike (attributes, tensor helpers) are kept once, under Baselines/Shared/.
/// Set WARMUP_UPDATE_BASELINES=1 to rewrite them after an intended change, then review the diff.
/// </summary>
public class BaselineTests
{
    private static readonly string[] SharedHints = ["Warmup.Attributes.g.cs", "Warmup.Tensors.g.cs"];

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
        string shared = Path.Combine(GeneratorHarness.SourceDirectory, "Baselines", "Shared");
        bool update = Environment.GetEnvironmentVariable("WARMUP_UPDATE_BASELINES") == "1";
        var generated = result.RunResult.GeneratedSources
            .Where(s => s.HintName != "Microsoft.CodeAnalysis.EmbeddedAttribute.cs")
            .ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        if (update)
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            Directory.CreateDirectory(directory);
            Directory.CreateDirectory(shared);
            foreach ((string hint, string text) in generated)
            {
                File.WriteAllText(Path.Combine(SharedHints.Contains(hint) ? shared : directory, hint), text);
            }

            return;
        }

        Assert.True(Directory.Exists(directory), $"No baselines in {directory}: run with WARMUP_UPDATE_BASELINES=1 and review them.");
        string[] expectedFiles = Directory.GetFiles(directory).Select(Path.GetFileName).OfType<string>().Concat(SharedHints)
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expectedFiles, generated.Keys.Order(StringComparer.Ordinal).ToArray());
        foreach ((string hint, string text) in generated)
        {
            string expected = File.ReadAllText(Path.Combine(SharedHints.Contains(hint) ? shared : directory, hint));
            Assert.True(expected == text, $"{name}/{hint} differs from its baseline. Run with WARMUP_UPDATE_BASELINES=1 and review the diff.\n--- generated ---\n{text}");
        }
    }

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
