using System.Runtime.Loader;

namespace Warmup.Build.Host;

/// <summary>
/// The package ships Warmup.Format and Google.Protobuf in <c>tools/net8.0/lib/</c>, not beside the host: when the host
/// runs a model project's samples (with that project's deps.json), the project's own Warmup.Format must win, and files
/// beside the host would be on its probing path ahead of the project's packages. The reading of signatures before compile has no deps.json to run with and
/// finds them here. In the build output (tests, benchmarks) they sit beside the host and this is never reached.
/// </summary>
internal static class LibraryFolder
{
    public static void Register()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "lib");
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var candidate = Path.Combine(folder, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };
    }
}
