using System.Xml.Linq;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>
/// The public API baselines (docs/contracts.md, "Public API"): every library a package puts in lib/ is tracked, the
/// files are in the form eng/update-public-api.sh writes, and the generated protos are public only where users need them.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Every_packed_library_under_src_tracks_its_public_api()
    {
        var libraries = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}content{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(IsPackedLibrary)
            .Select(p => Path.GetRelativePath(RepoPaths.Root, Path.GetDirectoryName(p)!).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

        // Today's three; a new packed library (e.g. a measurement package) joins by getting the two files.
        Assert.Superset(new HashSet<string> { "src/AspNetCore", "src/Format", "src/Runtime" }, libraries.ToHashSet());
        foreach (var dir in libraries)
        {
            foreach (var name in new[] { "PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt" })
            {
                var path = Path.Combine(RepoPaths.Root, dir, name);
                Assert.True(File.Exists(path), $"{dir} is packed into lib/ but has no {name}: run eng/update-public-api.sh {dir}");
                Assert.Equal("#nullable enable", File.ReadLines(path).FirstOrDefault());
            }
        }
    }

    [Fact]
    public void Unshipped_files_are_sorted_as_the_update_script_writes_them()
    {
        foreach (var path in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "PublicAPI.Unshipped.txt", SearchOption.AllDirectories))
        {
            var lines = File.ReadAllLines(path).Skip(1).ToList();
            var removed = lines.Where(l => l.StartsWith("*REMOVED*", StringComparison.Ordinal)).ToList();
            var entries = lines.Skip(removed.Count).ToList();
            Assert.True(entries.All(l => !l.StartsWith("*REMOVED*", StringComparison.Ordinal)), $"{path}: *REMOVED* lines come first");
            Assert.True(entries.SequenceEqual(entries.Distinct().Order(StringComparer.Ordinal)),
                $"{path}: entries are not unique and in ordinal order; regenerate it with eng/update-public-api.sh");
            Assert.DoesNotContain(entries, string.IsNullOrWhiteSpace);
        }
    }

    [Fact]
    public void Only_the_serving_and_tensorflow_protos_are_public()
    {
        var format = typeof(Warmup.Format.WarmupFile).Assembly;
        var exported = format.GetExportedTypes().Select(t => t.FullName!).ToList();

        Assert.Contains("Warmup.Format.Protos.Serving.PredictionLog", exported);
        Assert.Contains("Warmup.Format.Protos.TensorFlow.TensorProto", exported);
        Assert.DoesNotContain(exported, t => t.StartsWith("Warmup.Format.Protos.Onnx.", StringComparison.Ordinal));
        Assert.DoesNotContain(exported, t => t.StartsWith("Warmup.Format.Protos.Views.", StringComparison.Ordinal));
        // Still there, for the signature reader.
        Assert.NotNull(format.GetType("Warmup.Format.Protos.Onnx.ModelProto"));
        Assert.NotNull(format.GetType("Warmup.Format.Protos.Views.OnnxModelView"));
    }

    private static bool IsPackedLibrary(string csproj)
    {
        var properties = XDocument.Load(csproj).Descendants().Where(e => e.Parent?.Name.LocalName == "PropertyGroup" && !e.HasElements)
            .GroupBy(e => e.Name.LocalName).ToDictionary(g => g.Key, g => g.Last().Value.Trim(), StringComparer.OrdinalIgnoreCase);
        string Get(string name) => properties.TryGetValue(name, out var value) ? value : "";
        return Get("IsPackable") == "true" && Get("OutputType") is "" or "Library" && Get("IncludeBuildOutput") != "false"
            && Get("PackageType") != "Template";
    }
}
