using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>
/// Packs the product (Warmup, Warmup.Format) once per test run into a temporary feed, with a version unique to the run
/// so a package from an earlier run can never be restored instead. Shared by the end-to-end test classes, which run in
/// parallel, each in its own folder.
/// </summary>
internal static class ProductPackages
{
    private static readonly Lazy<Task<Packed>> Packing = new(PackAsync);
    private static readonly System.Collections.Concurrent.ConcurrentBag<string> ModelPackages = [];

    public static Task<Packed> GetAsync() => Packing.Value;

    /// <summary>Remembers a model package id the tests pack, so it leaves the global package folder at the end.</summary>
    public static void TrackModelPackage(string lowerCaseId) => ModelPackages.Add(lowerCaseId);

    /// <summary>The packed product: the feed folder and the version to reference.</summary>
    public sealed record Packed(string Root, string Feed, string Version);

    private static async Task<Packed> PackAsync()
    {
        RemoveStalePackages();
        var root = Directory.CreateTempSubdirectory("warmup-e2e-").FullName;
        var feed = Directory.CreateDirectory(Path.Combine(root, "feed")).FullName;
        var version = $"{RepoPaths.Version}-e2e.{DateTime.UtcNow:yyyyMMddHHmmss}.{Random.Shared.Next(100000):D5}";
        // A private artifacts folder: the pack never touches the build output the tests themselves run from.
        var environment = new Dictionary<string, string?> { ["WARMUP_ARTIFACTS"] = Path.Combine(root, "artifacts") };
        // Warmup.Runtime (and Warmup.Runtime.Measurement, which the measuring samples use) is packed too: hosts reference it,
        // so it must pack with the product; and the templates, which reference this version.
        foreach (var project in new[] { "src/Package/Warmup.csproj", "src/Format/Warmup.Format.csproj", "src/Runtime/Warmup.Runtime.csproj",
            "src/Runtime.Measurement/Warmup.Runtime.Measurement.csproj", "src/Templates/Warmup.Templates.csproj" })
        {
            var result = await DotNet.RunAsync(RepoPaths.Root, environment, "pack", Path.Combine(RepoPaths.Root, project),
                "-c", "Release", "-o", feed, $"-p:Version={version}");
            Assert.True(result.ExitCode == 0, $"packing {project} failed:\n{result.Output}");
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Cleanup(root, version);
        return new Packed(root, feed, version);
    }

    private static void Cleanup(string root, string version)
    {
        var folders = new List<string> { root };
        folders.AddRange(new[] { "warmup", "warmup.format", "warmup.runtime", "warmup.runtime.measurement" }.Select(id => Path.Combine(DotNet.GlobalPackagesFolder, id, version)));
        folders.AddRange(ModelPackages.Select(id => Path.Combine(DotNet.GlobalPackagesFolder, id)));
        foreach (var folder in folders)
        {
            DeleteFolder(folder);
        }
    }

    /// <summary>
    /// Deletes a folder, best effort: what is left behind is removed by a later run (RemoveStalePackages). Large folders
    /// are deleted as soon as their test is done, not at ProcessExit: the test platform may end the host while a
    /// gigabyte is still being deleted.
    /// </summary>
    public static void DeleteFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Still in use (a process not yet gone): the next run removes it.
        }
    }

    /// <summary>
    /// The test host may be ended before ProcessExit runs: packages and temporary folders earlier runs left behind
    /// (more than an hour old, so no run still uses them) are removed here.
    /// </summary>
    private static void RemoveStalePackages()
    {
        var cutoff = DateTime.UtcNow.AddHours(-1);
        var folders = new List<string>();
        foreach (var id in new[] { "warmup", "warmup.format", "warmup.runtime", "warmup.runtime.measurement" })
        {
            var root = Path.Combine(DotNet.GlobalPackagesFolder, id);
            if (Directory.Exists(root))
            {
                folders.AddRange(Directory.GetDirectories(root, "*-e2e.*"));
            }
        }

        if (Directory.Exists(DotNet.GlobalPackagesFolder))
        {
            folders.AddRange(Directory.GetDirectories(DotNet.GlobalPackagesFolder, "modelproject.*"));
        }

        // The run's own temporary folder (feed, consumer projects with ONNX Runtime's native libraries: over a gigabyte)
        // when a test host was ended before its ProcessExit cleanup.
        folders.AddRange(Directory.GetDirectories(Path.GetTempPath(), "warmup-e2e-*"));

        foreach (var folder in folders.Where(f => Directory.GetLastWriteTimeUtc(f) < cutoff))
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another run may hold it; the next run tries again.
            }
        }
    }
}

/// <summary>The shared dotnet CLI runner, with node reuse off for every build the end-to-end tests start.</summary>
internal static class DotNet
{
    public static string GlobalPackagesFolder => DotnetCli.GlobalPackagesFolder;

    public static Task<DotnetCli.Result> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        DotnetCli.RunAsync(workingDirectory, environment, TimeSpan.FromMinutes(5), [.. args, "-nodeReuse:false"]);
}
