using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Xml.Linq;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>
/// Every shipped package is ready to publish: a package readme, repository metadata, symbols whose pdbs match the
/// shipped dlls, package validation, SourceLink, and deterministic paths when CI builds it. Checked on the real packages.
/// </summary>
public sealed class PackageMetadataTests
{
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    private static readonly string[] Projects =
    [
        "src/Package/Warmup.csproj", "src/Format/Warmup.Format.csproj", "src/Runtime/Warmup.Runtime.csproj",
        "src/Runtime.Measurement/Warmup.Runtime.Measurement.csproj", "src/Cli/Warmup.Cli.csproj", "src/Templates/Warmup.Templates.csproj",
    ];

    [Fact]
    public async Task Packed_packages_carry_a_readme_repository_metadata_and_symbols_that_match_their_dlls()
    {
        // The tool is packed by these tests only (it carries ONNX Runtime, so the other end-to-end tests do without it).
        var product = await CliToolPackage.GetAsync();

        // Warmup.Cli is the pointer package, Warmup.Cli.<rid> the native tool (no managed dlls, no symbols package),
        // Warmup.Cli.any the framework-dependent one that carries the dlls and their symbols.
        var nativeTool = "Warmup.Cli." + System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        foreach (var id in new[] { "Warmup", "Warmup.Format", "Warmup.Runtime", "Warmup.Runtime.Measurement", "Warmup.Cli", nativeTool, "Warmup.Cli.any", "Warmup.Templates" })
        {
            using var package = ZipFile.OpenRead(Path.Combine(product.Feed, $"{id}.{product.Version}.nupkg"));
            var nuspec = Nuspec(package, id);
            XNamespace ns = nuspec.Root!.Name.Namespace;
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
            var readme = package.GetEntry("README.md");
            Assert.True(readme is { Length: > 200 }, $"{id}: README.md missing or empty");
            Assert.Equal("MIT", metadata.Element(ns + "license")?.Value);
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value), id);
            var repository = metadata.Element(ns + "repository");
            Assert.True(repository is not null, $"{id}: no <repository> in the nuspec");
            Assert.Equal("git", repository.Attribute("type")?.Value);
            Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");
            if (id == "Warmup.Runtime")
            {
                // Runtime uses Format's internals: exactly the Format it was built with, never a newer one.
                var format = metadata.Descendants(ns + "dependency").Where(d => d.Attribute("id")?.Value == "Warmup.Format").Select(d => d.Attribute("version")?.Value).Distinct();
                Assert.Equal([$"[{product.Version}]"], format);
            }

            var dlls = package.Entries.Where(e => e.FullName.EndsWith(".dll", StringComparison.Ordinal)
                && Path.GetFileName(e.FullName) is var name && (name.StartsWith("Warmup.", StringComparison.Ordinal) || name == "warmup.dll")).ToList();
            var snupkg = Path.Combine(product.Feed, $"{id}.{product.Version}.snupkg");
            if (id == "Warmup.Templates" || id == "Warmup.Cli" || id == nativeTool)
            {
                Assert.Empty(dlls);
                Assert.False(File.Exists(snupkg), $"{snupkg}: a package without dlls has no symbols package");
                continue;
            }

            Assert.NotEmpty(dlls);
            if (id is "Warmup")
            {
                // Analyzer, tasks and build host embed their pdbs (Warmup.Format's are in its own .snupkg).
                Assert.False(File.Exists(snupkg));
                foreach (var dll in dlls.Where(d => !d.FullName.EndsWith("/Warmup.Format.dll", StringComparison.Ordinal)))
                {
                    using var pe = new PEReader(ReadAll(dll));
                    Assert.True(pe.ReadDebugDirectory().Any(d => d.Type == DebugDirectoryEntryType.EmbeddedPortablePdb), $"{dll.FullName}: no embedded pdb");
                }

                continue;
            }

            // The .snupkg has, beside each dll, the pdb whose id the dll's CodeView entry names (what a symbol server matches).
            Assert.True(File.Exists(snupkg), $"{snupkg} missing");
            using var symbols = ZipFile.OpenRead(snupkg);
            foreach (var dll in dlls)
            {
                var pdbEntry = symbols.GetEntry(Path.ChangeExtension(dll.FullName, ".pdb"));
                Assert.True(pdbEntry is not null, $"{id}: no {Path.ChangeExtension(dll.FullName, ".pdb")} in the .snupkg");
                using var pe = new PEReader(ReadAll(dll));
                var codeView = pe.ReadCodeViewDebugDirectoryData(pe.ReadDebugDirectory().First(d => d.Type == DebugDirectoryEntryType.CodeView));
                using var pdb = MetadataReaderProvider.FromPortablePdbStream(ReadAll(pdbEntry));
                var pdbId = new BlobContentId(pdb.GetMetadataReader().DebugMetadataHeader!.Id);
                Assert.Equal(codeView.Guid, pdbId.Guid);
            }
        }
    }

    [Fact]
    public async Task Every_shipped_project_validates_its_package_and_builds_deterministically_on_ci()
    {
        foreach (var project in Projects)
        {
            var result = await DotNet.RunAsync(RepoPaths.Root, new Dictionary<string, string?> { ["CI"] = "true" }, "msbuild", Path.Combine(RepoPaths.Root, project),
                "-getProperty:EnablePackageValidation", "-getProperty:ContinuousIntegrationBuild", "-getProperty:PublishRepositoryUrl",
                "-getProperty:EnableSourceLink", "-getProperty:IsPackable", "-getProperty:PackageReadmeFile");
            Assert.True(result.ExitCode == 0, result.Output);
            var properties = JsonDocument.Parse(result.Output[result.Output.IndexOf('{', StringComparison.Ordinal)..]).RootElement.GetProperty("Properties");
            // The SDK turns package validation off for .NET tool packages (no API to compare: Microsoft.NET.PackTool.targets).
            var validation = project.EndsWith("Warmup.Cli.csproj", StringComparison.Ordinal) ? "false" : "true";
            foreach (var (name, expected) in new[] { ("EnablePackageValidation", validation), ("ContinuousIntegrationBuild", "true"), ("PublishRepositoryUrl", "true"), ("IsPackable", "true"), ("PackageReadmeFile", "README.md") })
            {
                Assert.True(expected == properties.GetProperty(name).GetString(), $"{project}: {name} is '{properties.GetProperty(name).GetString()}', expected '{expected}'");
            }

            Assert.NotEqual("false", properties.GetProperty("EnableSourceLink").GetString());
        }
    }

    /// <summary>
    /// SourceLink needs a repository with a GitHub remote, as a clone from GitHub has: a temporary clone of this repository
    /// gets one, and Warmup.Format packed there by CI maps every source file to the commit and has deterministic paths.
    /// </summary>
    [Fact]
    public async Task A_ci_build_from_a_github_clone_maps_sources_with_sourcelink_and_has_deterministic_paths()
    {
        var root = Directory.CreateTempSubdirectory("warmup-sourcelink-").FullName;
        try
        {
            var clone = Path.Combine(root, "warmup");
            await Git(root, "clone", "--quiet", "--no-hardlinks", RepoPaths.Root, clone);
            await Git(clone, "remote", "set-url", "origin", "https://github.com/warmup-dotnet/warmup.git");
            var commit = (await Git(clone, "rev-parse", "HEAD")).Trim();
            var feed = Path.Combine(root, "feed");
            // Build output stays inside the clone (artifacts/), as in a CI checkout, so generated sources map to /_/ too.
            var pack = await DotNet.RunAsync(clone, new Dictionary<string, string?> { ["CI"] = "true" },
                "pack", "src/Format/Warmup.Format.csproj", "-c", "Release", "-o", feed);
            Assert.True(pack.ExitCode == 0, pack.Output);

            using var package = ZipFile.OpenRead(Path.Combine(feed, $"Warmup.Format.{RepoPaths.Version}.nupkg"));
            var nuspec = Nuspec(package, "Warmup.Format");
            var repository = nuspec.Descendants(nuspec.Root!.Name.Namespace + "repository").Single();
            Assert.Equal("https://github.com/warmup-dotnet/warmup.git", repository.Attribute("url")?.Value);
            Assert.Equal(commit, repository.Attribute("commit")?.Value);

            using var symbols = ZipFile.OpenRead(Path.Combine(feed, $"Warmup.Format.{RepoPaths.Version}.snupkg"));
            using var pdb = MetadataReaderProvider.FromPortablePdbStream(ReadAll(symbols.GetEntry("lib/net8.0/Warmup.Format.pdb")!));
            var reader = pdb.GetMetadataReader();
            var sourceLink = reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition).Select(reader.GetCustomDebugInformation)
                .Single(c => reader.GetGuid(c.Kind) == SourceLinkKind);
            var json = System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(sourceLink.Value));
            Assert.Contains($"https://raw.githubusercontent.com/warmup-dotnet/warmup/{commit}/*", json, StringComparison.Ordinal);
            // ContinuousIntegrationBuild: no machine path in the pdb, every document under the deterministic root /_/.
            var documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToList();
            Assert.Contains(documents, d => d.EndsWith("/WarmupFile.cs", StringComparison.Ordinal));
            Assert.All(documents, d => Assert.StartsWith("/_", d, StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static XDocument Nuspec(ZipArchive package, string id)
    {
        using var stream = package.GetEntry($"{id}.nuspec")!.Open();
        return XDocument.Load(stream);
    }

    private static MemoryStream ReadAll(ZipArchiveEntry entry)
    {
        var memory = new MemoryStream();
        using (var stream = entry.Open())
        {
            stream.CopyTo(memory);
        }

        memory.Position = 0;
        return memory;
    }

    private static async Task<string> Git(string directory, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', args)}: {await error}");
        return await output;
    }
}
