using System.Text.Json;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>
/// The package's props and targets, imported straight from the source tree into a small SDK project and run with
/// `dotnet msbuild` (no pack, no compile): item defaults, the duplicate-name check and the design-time skip.
/// </summary>
public sealed class TargetsTests : IDisposable
{
    private static readonly string BuildFolder = Path.Combine(RepoPaths.Root, "src", "Package", "build");
    private readonly string _dir = Directory.CreateTempSubdirectory("warmup-targets-").FullName;

    public TargetsTests()
    {
        File.WriteAllText(Path.Combine(_dir, "Directory.Build.props"), $"<Project><Import Project=\"{BuildFolder}/Warmup.props\" /></Project>\n");
        File.WriteAllText(Path.Combine(_dir, "Directory.Build.targets"), $"<Project><Import Project=\"{BuildFolder}/Warmup.targets\" /></Project>\n");
        File.WriteAllText(Path.Combine(_dir, "Directory.Packages.props"), "<Project />\n");
        TestModels.HalfPlusTwo().Save(Path.Combine(_dir, "models", "half_plus_two.onnx"));
        TestModels.TwoInputs().Save(Path.Combine(_dir, "models", "two.onnx"));
        var savedModel = Directory.CreateDirectory(Path.Combine(_dir, "models", "mnist", "00000123")).FullName;
        File.WriteAllBytes(Path.Combine(savedModel, "saved_model.pb"), []);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Models_get_names_versions_and_signature_paths_by_default()
    {
        Project("""
            <WarmupModel Include="models/half_plus_two.onnx" />
            <WarmupModel Include="models/mnist/00000123/" />
            <WarmupModel Include="models/two.onnx" Name="pair" Version="7" Warmup="false" />
            """);

        var result = await DotNet.RunAsync(_dir, null, "msbuild", "-t:_WarmupResolveModels", "-getItem:_WarmupModel");

        Assert.True(result.ExitCode == 0, result.Output);
        var items = JsonDocument.Parse(result.Output[result.Output.IndexOf('{', StringComparison.Ordinal)..]).RootElement
            .GetProperty("Items").GetProperty("_WarmupModel").EnumerateArray()
            .ToDictionary(i => i.GetProperty("ModelName").GetString()!);
        Assert.Equal(["half_plus_two", "mnist", "pair"], items.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("1", items["half_plus_two"].GetProperty("ModelVersion").GetString());
        Assert.Equal("123", items["mnist"].GetProperty("ModelVersion").GetString());
        Assert.Equal(Path.Combine(_dir, "models", "mnist", "00000123", "saved_model.pb"), items["mnist"].GetProperty("SignatureInput").GetString());
        Assert.Equal(("7", "false"), (items["pair"].GetProperty("ModelVersion").GetString(), items["pair"].GetProperty("Warmup").GetString()));
        Assert.EndsWith(Path.Combine("warmup", "half_plus_two.warmup-signature"), items["half_plus_two"].GetProperty("SignatureFile").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_models_with_one_name_is_WARMUPB008()
    {
        Project("""
            <WarmupModel Include="models/half_plus_two.onnx" />
            <WarmupModel Include="models/two.onnx" Name="half_plus_two" />
            """);

        var result = await DotNet.RunAsync(_dir, null, "msbuild", "-t:_WarmupResolveModels");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error WARMUPB008", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Design_time_builds_never_run_the_samples()
    {
        Project("""<WarmupModel Include="models/half_plus_two.onnx" />""");

        var designTime = await DotNet.RunAsync(_dir, null, "msbuild", "-t:WarmupEmit", "-p:DesignTimeBuild=true", "-v:d", "-tl:off");
        var normal = await DotNet.RunAsync(_dir, null, "msbuild", "-t:WarmupEmit", "-v:d", "-tl:off");

        Assert.True(designTime.ExitCode == 0, designTime.Output);
        Assert.DoesNotContain("Target \"_WarmupEmitCore\"", designTime.Output, StringComparison.Ordinal);
        // The control: outside design time the same call reaches the emit (and fails here, as nothing was compiled).
        Assert.Contains("Target \"_WarmupEmitCore\"", normal.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_numbered_saved_model_folder_keeps_its_version_when_the_item_sets_a_name()
    {
        Project("""<WarmupModel Include="models/mnist/00000123/" Name="digits" />""");

        var result = await DotNet.RunAsync(_dir, null, "msbuild", "-t:_WarmupResolveModels", "-getItem:_WarmupModel");

        Assert.True(result.ExitCode == 0, result.Output);
        var item = JsonDocument.Parse(result.Output[result.Output.IndexOf('{', StringComparison.Ordinal)..]).RootElement
            .GetProperty("Items").GetProperty("_WarmupModel").EnumerateArray().Single();
        Assert.Equal(("digits", "123"), (item.GetProperty("ModelName").GetString(), item.GetProperty("ModelVersion").GetString()));
    }

    [Theory]
    [InlineData("""<PackageReference Include="Warmup" Version="1.0.0" PrivateAssets="all" />""", true)]
    [InlineData("""<PackageReference Include="Warmup" Version="1.0.0" PrivateAssets="all" /><PackageReference Include="Warmup.Format" Version="1.0.0" />""", false)]
    [InlineData("""<PackageReference Include="Warmup" Version="1.0.0" />""", false)]
    public async Task Packing_with_a_private_Warmup_and_no_Warmup_Format_is_WARMUPB020(string references, bool warns)
    {
        Project("""<WarmupModel Include="models/half_plus_two.onnx" />""" + references);

        var result = await DotNet.RunAsync(_dir, null, "msbuild", "-t:_WarmupCheckPackageGraph", "-tl:off");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(warns, result.Output.Contains("warning WARMUPB020", StringComparison.Ordinal));
    }

    private void Project(string items) => File.WriteAllText(Path.Combine(_dir, "Models.csproj"), $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
          <ItemGroup>
        {items}
          </ItemGroup>
        </Project>
        """);
}
