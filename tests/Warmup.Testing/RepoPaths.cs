using System.Reflection;

namespace Warmup.Testing;

/// <summary>Where the repository and the shared interop folder are, from tests and benchmarks.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The repository root (the folder holding Warmup.sln).</summary>
    public static string Root => RootPath.Value;

    /// <summary>
    /// The shared folder laid beside the repository (<c>../shared</c>), or null when it is absent. Tests that need it skip
    /// with a message saying so.
    /// </summary>
    public static string? Shared
    {
        get
        {
            var shared = Environment.GetEnvironmentVariable("WARMUP_SHARED") ?? Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            return Directory.Exists(shared) ? shared : null;
        }
    }

    /// <summary>The interop folder (<c>../shared/interop</c>), or null when absent.</summary>
    public static string? Interop => Shared is { } shared && Directory.Exists(Path.Combine(shared, "interop")) ? Path.Combine(shared, "interop") : null;

    /// <summary>The version the repository packs (WarmupVersion in Version.props), recorded at build time.</summary>
    public static string Version { get; } = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "Warmup.Version").Value!;

    /// <summary>The message a test gives when it skips because the shared folder is absent.</summary>
    public const string SharedMissingMessage = "../shared (interop files written by TensorFlow) is not beside the repository; interop test skipped.";

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("WARMUP_REPO_ROOT") is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Warmup.sln")))
            {
                return directory.FullName;
            }
        }

        // Build output may live outside the tree (WARMUP_ARTIFACTS): fall back to the root recorded at build time.
        var recorded = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Warmup.RepoRoot")?.Value;
        if (recorded is not null && File.Exists(Path.Combine(recorded, "Warmup.sln")))
        {
            return Path.GetFullPath(recorded);
        }

        throw new InvalidOperationException("Cannot find the repository root (Warmup.sln). Set WARMUP_REPO_ROOT.");
    }
}
