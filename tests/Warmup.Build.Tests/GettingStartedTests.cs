using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Warmup.Format;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>
/// docs/getting-started.md followed as written, from an empty folder outside the repository with its own package
/// folder: the files are the guide's own code blocks (marked <c>guide-file</c> / <c>guide-insert</c>), and every command
/// run here must appear in the guide. Only the feed path and the Warmup version (unique to the run) are substituted.
/// </summary>
public sealed partial class GettingStartedTests
{
    private static readonly string Guide = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "getting-started.md"));

    [SkippableFact]
    public async Task The_guide_gives_a_model_package_and_a_host_that_is_ready_and_answers()
    {
        Skip.If(RepoPaths.Interop is null, RepoPaths.SharedMissingMessage);
        var product = await ProductPackages.GetAsync();
        var solution = Directory.CreateDirectory(Path.Combine(product.Root, "my-solution-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        Assert.False(solution.StartsWith(RepoPaths.Root, StringComparison.Ordinal), "the guide must run outside the repository");
        // The guide's nuget.config gives the solution its own package folder; NUGET_PACKAGES would override it.
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = null };

        // 2. nuget.config (+ a read-only fallback to the machine's extracted packages, so ONNX Runtime is not downloaded
        // again; packages restored here still land in the solution's own folder).
        var nugetConfig = GuideFile("nuget.config").Replace("/path/to/warmup-feed", product.Feed, StringComparison.Ordinal);
        nugetConfig = nugetConfig.Replace("</configuration>",
            $"  <fallbackPackageFolders>\n    <add key=\"machine\" value=\"{DotNet.GlobalPackagesFolder}\" />\n  </fallbackPackageFolders>\n</configuration>", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(solution, "nuget.config"), nugetConfig);
        Directory.CreateDirectory(Path.Combine(solution, "packages"));

        // 3. The model project.
        await Run(solution, environment, "dotnet new classlib -n MyModels");
        var models = Path.Combine(solution, "MyModels");
        Assert.Contains("rm Class1.cs", Guide, StringComparison.Ordinal);
        File.Delete(Path.Combine(models, "Class1.cs"));
        await Run(models, environment, $"dotnet add package Warmup --version {RepoPaths.Version}", product.Version);
        var modelProject = Path.Combine(models, "MyModels.csproj");
        Assert.DoesNotContain("IncludeAssets", File.ReadAllText(modelProject), StringComparison.Ordinal);

        // 4. The models: an ONNX model from the project's builder and the SavedModel TensorFlow wrote.
        TestModels.HalfPlusTwo().Save(Path.Combine(models, "models", "half_plus_two.onnx"));
        CopyDirectory(Path.Combine(RepoPaths.Interop!, "tfserving", "saved_model_half_plus_two_cpu", "00000123"),
            Path.Combine(models, "models", "saved_model_half_plus_two_cpu", "00000123"));
        File.WriteAllText(modelProject, File.ReadAllText(modelProject).Replace("</Project>", GuideFile("MyModels/MyModels.csproj") + "</Project>", StringComparison.Ordinal));

        // 5. Samples; 6. build: both files written, predict, classify and regress records.
        File.WriteAllText(Path.Combine(models, "Samples.cs"), GuideFile("MyModels/Samples.cs"));
        await Run(models, environment, "dotnet build");
        var output = Path.Combine(models, "bin", "Debug", "net10.0", "models");
        var onnxRecords = WarmupFile.Read(TfServing.GetWarmupFilePath(output, "half_plus_two", 1)).ToList();
        Assert.Equal([1L, 8L], onnxRecords.Select(r => r.Log.PredictLog.Request.Inputs["x"].TensorShape.Dim[0].Size));
        var tfRecords = WarmupFile.Read(TfServing.GetWarmupFilePath(output, "tf_half_plus_two", 123)).ToList();
        Assert.Equal(["PredictLog", "ClassifyLog", "RegressLog"], tfRecords.Select(r => r.Log.LogTypeCase.ToString()));
        Assert.True(File.Exists(Path.Combine(output, "tf_half_plus_two", "123", "variables", "variables.index")));

        // 6. pack: the model package depends on Warmup only, without its build logic or analyzers.
        await Run(models, environment, "dotnet pack -c Release -o ../packages");
        var modelPackage = Path.Combine(solution, "packages", "MyModels.1.0.0.nupkg");
        var dependencies = Nuspec(modelPackage).Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(d => $"{d.Attribute("id")?.Value} {d.Attribute("version")?.Value} exclude={d.Attribute("exclude")?.Value}").ToList();
        Assert.Equal([$"Warmup {product.Version} exclude=Build,Analyzers"], dependencies);
        using (var archive = ZipFile.OpenRead(modelPackage))
        {
            var entries = archive.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("warmup/models/half_plus_two/1/assets.extra/tf_serving_warmup_requests", entries);
            Assert.Contains("warmup/models/tf_half_plus_two/123/assets.extra/tf_serving_warmup_requests", entries);
            Assert.Contains("buildTransitive/MyModels.props", entries);
        }

        // 7. The host: none of Warmup's build files is imported, the model package's props is.
        await Run(solution, environment, "dotnet new web -n MyHost");
        var host = Path.Combine(solution, "MyHost");
        await Run(host, environment, "dotnet add package MyModels --version 1.0.0");
        await Run(host, environment, $"dotnet add package Warmup.Runtime --version {RepoPaths.Version}", product.Version);
        await Run(host, environment, "dotnet add package Microsoft.ML.OnnxRuntime --version 1.31.0");
        File.WriteAllText(Path.Combine(host, "Program.cs"), GuideFile("MyHost/Program.cs"));
        var build = await DotNet.RunAsync(host, environment, "build");
        Assert.True(build.ExitCode == 0, build.Output);
        var imports = File.ReadAllText(Path.Combine(host, "obj", "MyHost.csproj.nuget.g.props")) + File.ReadAllText(Path.Combine(host, "obj", "MyHost.csproj.nuget.g.targets"));
        Assert.Contains("buildTransitive/MyModels.props", imports, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex($@"warmup[/\\]{Regex.Escape(product.Version)}[/\\]build", RegexOptions.IgnoreCase), imports);
        Assert.DoesNotContain("Warmup.targets", imports, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Warmup.props", imports, StringComparison.OrdinalIgnoreCase);
        var hostOutput = Path.Combine(host, "bin", "Debug", "net10.0");
        Assert.Equal(File.ReadAllBytes(TfServing.GetWarmupFilePath(output, "half_plus_two", 1)),
            File.ReadAllBytes(TfServing.GetWarmupFilePath(Path.Combine(hostOutput, "models"), "half_plus_two", 1)));

        // 8. Run it: ready once warm (JSON body), then it answers a request.
        Assert.Contains("dotnet run", Guide, StringComparison.Ordinal);
        await RunHost(hostOutput, environment);
    }

    /// <summary>The products the guide's readers get carry no placeholder address.</summary>
    [Fact]
    public async Task No_package_and_no_source_file_mentions_example_invalid()
    {
        var product = await ProductPackages.GetAsync();
        foreach (var package in Directory.GetFiles(product.Feed, "*.nupkg"))
        {
            using var archive = ZipFile.OpenRead(package);
            foreach (var entry in archive.Entries.Where(e => !e.FullName.EndsWith(".dll", StringComparison.Ordinal)))
            {
                using var reader = new StreamReader(entry.Open());
                Assert.DoesNotContain("example.invalid", reader.ReadToEnd(), StringComparison.OrdinalIgnoreCase);
            }
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain("example.invalid", File.ReadAllText(file), StringComparison.OrdinalIgnoreCase);
        }

        // The tooling package: no developmentDependency (dotnet add package then compiles), build/ only, the doc inside.
        var warmup = Path.Combine(product.Feed, $"Warmup.{product.Version}.nupkg");
        Assert.DoesNotContain(Nuspec(warmup).Descendants(), e => e.Name.LocalName == "developmentDependency" && e.Value == "true");
        using var tooling = ZipFile.OpenRead(warmup);
        var names = tooling.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("docs/diagnostics.md", names);
        Assert.Contains("build/Warmup.targets", names);
        Assert.DoesNotContain(names, n => n.StartsWith("buildTransitive/", StringComparison.Ordinal) || n.StartsWith("lib/", StringComparison.Ordinal));
    }

    private static async Task RunHost(string hostOutput, Dictionary<string, string?> environment)
    {
        var port = Loopback.FreePort();
        var env = new Dictionary<string, string?>(environment) { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" };
        using var process = DotnetCli.Start(hostOutput, env, "MyHost.dll");
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            var deadline = Stopwatch.StartNew();
            string? ready = null;
            while (ready is null && deadline.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        ready = await response.Content.ReadAsStringAsync();
                        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                if (ready is null)
                {
                    await Task.Delay(200);
                }
            }

            Assert.True(ready is not null, $"the host did not become ready:\n{Snapshot(log)}");
            var model = JsonDocument.Parse(ready).RootElement.GetProperty("checks").GetProperty("warmup").GetProperty("models").GetProperty("half_plus_two");
            Assert.Equal("Ready", model.GetProperty("state").GetString());
            Assert.Equal(2, model.GetProperty("records").GetInt32());

            var answer = JsonDocument.Parse(await http.GetStringAsync(new Uri("/predict?x=1", UriKind.Relative))).RootElement;
            Assert.Equal(2.5f, answer.GetProperty("y").GetSingle());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var text = Snapshot(log);
        Assert.Contains("Model half_plus_two is warm and ready", text, StringComparison.Ordinal);
        // The CPU-only ONNX Runtime package: said once at Information, no warning, no fail: line.
        Assert.Contains("has no CUDA execution provider", text, StringComparison.Ordinal);
        Assert.DoesNotContain("warn:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", text, StringComparison.Ordinal);
    }

    /// <summary>Runs <paramref name="command"/> as the guide writes it (the version substituted), which must be in the guide.</summary>
    private static async Task Run(string directory, Dictionary<string, string?> environment, string command, string? warmupVersion = null)
    {
        Assert.Contains(command, Guide, StringComparison.Ordinal);
        var args = command.Split(' ')[1..].Select(a => warmupVersion is not null && a == RepoPaths.Version ? warmupVersion : a).ToArray();
        // DotnetCli, not DotNet: `dotnet new` and `dotnet add` take no MSBuild switches (node reuse is off by environment).
        var result = await DotnetCli.RunAsync(directory, environment, TimeSpan.FromMinutes(5), args);
        Assert.True(result.ExitCode == 0, $"{command} failed:\n{result.Output}");
    }

    /// <summary>The code block after <c>&lt;!-- guide-file: path --&gt;</c> or <c>&lt;!-- guide-insert: path --&gt;</c>.</summary>
    private static string GuideFile(string path)
    {
        var match = Regex.Match(Guide, $@"<!-- guide-(?:file|insert): {Regex.Escape(path)} -->\s*```\w*\n(.*?)```", RegexOptions.Singleline);
        Assert.True(match.Success, $"docs/getting-started.md has no code block for {path}");
        return match.Groups[1].Value;
    }

    private static XDocument Nuspec(string package)
    {
        using var archive = ZipFile.OpenRead(package);
        using var stream = archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string Snapshot(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
