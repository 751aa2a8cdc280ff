using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>
/// The warmup tool packed once per test run into the product feed, as <c>dotnet pack src/Cli</c> does it: the pointer
/// package Warmup.Cli, the Native AOT Warmup.Cli.&lt;rid&gt; of this machine and the framework-dependent Warmup.Cli.any.
/// The one real AOT compile of the suite (about 1–2 minutes): the package and tool-install tests share it.
/// </summary>
internal static class CliToolPackage
{
    private static readonly Lazy<Task<ProductPackages.Packed>> Packing = new(PackAsync);

    public static Task<ProductPackages.Packed> GetAsync() => Packing.Value;

    private static async Task<ProductPackages.Packed> PackAsync()
    {
        var product = await ProductPackages.GetAsync();
        // Its own artifacts folder (the RID-specific inner builds share obj/ with the outer one, never with other packs).
        var artifacts = Path.Combine(product.Root, "artifacts-cli");
        var environment = new Dictionary<string, string?> { ["WARMUP_ARTIFACTS"] = artifacts };
        var pack = await DotnetCli.RunAsync(RepoPaths.Root, environment, TimeSpan.FromMinutes(15), "pack", Path.Combine(RepoPaths.Root, "src/Cli/Warmup.Cli.csproj"),
            "-c", "Release", "-o", product.Feed, $"-p:Version={product.Version}", "-nodeReuse:false");
        Assert.True(pack.ExitCode == 0, pack.Output);
        // The packages are in the feed; the build output (the AOT compile's, over half a gigabyte) is not needed again.
        ProductPackages.DeleteFolder(artifacts);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var id in new[] { "warmup.cli", "warmup.cli.any", $"warmup.cli.{System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}" })
            {
                ProductPackages.DeleteFolder(Path.Combine(DotNet.GlobalPackagesFolder, id, product.Version));
            }
        };
        return product;
    }
}
