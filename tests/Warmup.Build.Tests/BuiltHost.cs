namespace Warmup.Build.Tests;

/// <summary>
/// The build host as its project builds it (with its runtimeconfig and deps.json, so <c>dotnet exec</c> runs it): the
/// tasks under test start it as the package's tools/net8.0 copy is started.
/// </summary>
internal static class BuiltHost
{
    private static readonly Lazy<string> Path = new(Find);

    public static string Assembly => Path.Value;

    public static string RuntimeConfig => System.IO.Path.ChangeExtension(Assembly, ".runtimeconfig.json");

    public static string DepsFile => System.IO.Path.ChangeExtension(Assembly, ".deps.json");

    private static string Find()
    {
        // Artifacts output: bin/Warmup.Build.Tests/<config>/ beside bin/Warmup.Build.Host/<config>/.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        var host = System.IO.Path.Combine(output.Parent!.Parent!.FullName, "Warmup.Build.Host", output.Name, "Warmup.Build.Host.dll");
        return File.Exists(host) && File.Exists(System.IO.Path.ChangeExtension(host, ".runtimeconfig.json"))
            ? host
            : throw new InvalidOperationException($"The build host is not built at {host}; build tests/Warmup.Build.Tests (it references the host project).");
    }
}
