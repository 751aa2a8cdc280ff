using Warmup.Testing;

namespace Warmup.Build.Tests;

/// <summary>
/// A fresh model project made from <c>Templates/ModelProject</c> in its own temp folder, restoring from the product feed
/// and the normal NuGet source.
/// </summary>
internal sealed class Consumer
{
    private static readonly string Templates = Path.Combine(RepoPaths.Root, "tests", "Warmup.Build.Tests", "Templates");

    private Consumer(string root, string unique, string targetFramework, ProductPackages.Packed product)
    {
        Root = root;
        Unique = unique;
        TargetFramework = targetFramework;
        Product = product;
    }

    public string Root { get; }

    public string Unique { get; }

    public string TargetFramework { get; }

    public ProductPackages.Packed Product { get; }

    public string ProjectDirectory => Path.Combine(Root, "ModelProject");

    public string OutputDirectory => Path.Combine(ProjectDirectory, "bin", "Debug", TargetFramework);

    public string WarmupFile => Path.Combine(OutputDirectory, "models", "half_plus_two", "1", "assets.extra", "tf_serving_warmup_requests");

    public static async Task<Consumer> CreateAsync(string targetFramework, string outputType, string samples)
    {
        var product = await ProductPackages.GetAsync();
        var unique = Guid.NewGuid().ToString("N")[..12];
        ProductPackages.TrackModelPackage($"modelproject.{unique}");
        var root = Directory.CreateDirectory(Path.Combine(product.Root, "consumer-" + unique)).FullName;
        var consumer = new Consumer(root, unique, targetFramework, product);
        Isolate(root, product);
        var project = Directory.CreateDirectory(consumer.ProjectDirectory).FullName;
        File.WriteAllText(Path.Combine(project, "ModelProject.csproj"), Fill(File.ReadAllText(Path.Combine(Templates, "ModelProject", "ModelProject.csproj")))
            .Replace("__TFM__", targetFramework, StringComparison.Ordinal)
            .Replace("__OUTPUT_TYPE__", outputType, StringComparison.Ordinal));
        if (outputType == "Exe")
        {
            File.WriteAllText(Path.Combine(project, "Program.cs"), "System.Console.WriteLine(\"model project\");\n");
        }

        consumer.SetSamples(samples);
        TestModels.HalfPlusTwo().Save(Path.Combine(project, "models", "half_plus_two.onnx"));

        var host = Directory.CreateDirectory(Path.Combine(root, "HostProject")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(Templates, "HostProject")))
        {
            File.WriteAllText(Path.Combine(host, Path.GetFileName(file)), Fill(File.ReadAllText(file)));
        }

        return consumer;

        string Fill(string text) => text
            .Replace("__UNIQUE__", unique, StringComparison.Ordinal)
            .Replace("__WARMUP_VERSION__", product.Version, StringComparison.Ordinal);
    }

    /// <summary>
    /// Makes <paramref name="root"/> a workspace of its own: nothing from above it (or the repository) shapes its builds, and
    /// it restores from the product feed, <c>local-packages</c> (model packages) and the normal NuGet source.
    /// </summary>
    public static void Isolate(string root, ProductPackages.Packed product)
    {
        // Nothing from above the temp folder (or the repository) may shape these builds.
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(root, "Directory.Packages.props"), "<Project />\n");
        var localFeed = Directory.CreateDirectory(Path.Combine(root, "local-packages")).FullName;
        File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="warmup-product" value="{product.Feed}" />
                <add key="model-packages" value="{localFeed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);

    }

    public void SetSamples(string samples) =>
        File.WriteAllText(Path.Combine(ProjectDirectory, "Samples.cs"),
            File.ReadAllText(Path.Combine(Templates, "ModelProject", "Samples.cs")).Replace("__SAMPLES__", samples, StringComparison.Ordinal));

    public Task<DotnetCli.Result> RunAsync(params string[] args) => DotNet.RunAsync(ProjectDirectory, null, args);

    public Task<DotnetCli.Result> RunInAsync(string folder, params string[] args) => DotNet.RunAsync(Path.Combine(Root, folder), null, args);
}
