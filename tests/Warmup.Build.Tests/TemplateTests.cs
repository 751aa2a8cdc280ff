using System.Diagnostics;
using System.Text.RegularExpressions;
using Warmup.Format;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>
/// The <c>dotnet new</c> templates as a user gets them: installed from the packed Warmup.Templates package into a
/// private template hive (the machine's template cache is never touched), instantiated, built, and the host run to
/// readiness on loopback.
/// </summary>
public sealed partial class TemplateTests
{
    [Fact]
    public async Task Templates_install_from_the_package_and_build_a_model_project_and_a_host_that_gets_ready()
    {
        var product = await ProductPackages.GetAsync();
        var root = Directory.CreateDirectory(Path.Combine(product.Root, "templates-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        using var cleanup = new FolderCleanup(root);
        Consumer.Isolate(root, product);
        var hive = Path.Combine(root, ".template-hive");
        // Not DotNet.RunAsync: dotnet new takes no MSBuild switches.
        Task<DotnetCli.Result> New(params string[] args) => DotnetCli.RunAsync(root, null, TimeSpan.FromMinutes(2), ["new", .. args, "--debug:custom-hive", hive]);

        var install = await New("install", Path.Combine(product.Feed, $"Warmup.Templates.{product.Version}.nupkg"));
        Assert.True(install.ExitCode == 0, install.Output);
        Assert.Contains("warmup-model", install.Output, StringComparison.Ordinal);
        Assert.Contains("warmup-host", install.Output, StringComparison.Ordinal);

        // 1. Without --model: a hand-declared signature and one sample; the build writes the warmup file alone.
        var declared = await New("warmup-model", "-n", "Demo");
        Assert.True(declared.ExitCode == 0, declared.Output);
        var build = await DotNet.RunAsync(root, null, "build", "Demo");
        Assert.True(build.ExitCode == 0, build.Output);
        var demoVersion = Path.Combine(root, "Demo", "bin", "Debug", "net10.0", "models", "demo", "1");
        var demoRecords = WarmupFile.Read(Path.Combine(demoVersion, TfServing.RelativeWarmupPath)).ToList();
        Assert.Equal([[1, 4], [8, 4]], demoRecords.Select(r => Dims(r.Log.PredictLog.Request.Inputs["x"])));
        Assert.Equal([Path.Combine(demoVersion, TfServing.RelativeWarmupPath)], Directory.GetFiles(demoVersion, "*", SearchOption.AllDirectories));

        // 2. With --model: the .onnx file is copied into the project and bound; the sample is shaped from its signature.
        var onnx = Path.Combine(root, "incoming", "half_plus_two.onnx");
        TestModels.HalfPlusTwo().Save(onnx);
        var bound = await New("warmup-model", "-n", "HalfPlusTwo", "--model", onnx, "--modelName", "half_plus_two");
        Assert.True(bound.ExitCode == 0, bound.Output);
        build = await DotNet.RunAsync(root, null, "build", "HalfPlusTwo");
        Assert.True(build.ExitCode == 0, build.Output);
        Assert.Equal(File.ReadAllBytes(onnx), File.ReadAllBytes(Path.Combine(root, "HalfPlusTwo", "models", "half_plus_two.onnx")));
        var modelVersion = Path.Combine(root, "HalfPlusTwo", "bin", "Debug", "net10.0", "models", "half_plus_two", "1");
        var modelRecords = WarmupFile.Read(Path.Combine(modelVersion, TfServing.RelativeWarmupPath)).ToList();
        Assert.Equal([[1, 1], [8, 1]], modelRecords.Select(r => Dims(r.Log.PredictLog.Request.Inputs["x"])));
        Assert.True(File.Exists(Path.Combine(modelVersion, "half_plus_two.onnx")));

        // 3. The host: built, run against that model folder, ready once the file is replayed, with metrics on /metrics.
        var host = await New("warmup-host", "-n", "ModelHost", "--modelName", "half_plus_two");
        Assert.True(host.ExitCode == 0, host.Output);
        var manifest = File.ReadAllText(Path.Combine(root, "ModelHost", "deploy", "kubernetes.yaml"));
        foreach (var expected in new[] { "kind: Deployment", "kind: Service", "startupProbe:", "readinessProbe:", "livenessProbe:", "path: /health/ready", "path: /health/live", "resources:" })
        {
            Assert.Contains(expected, manifest, StringComparison.Ordinal);
        }

        build = await DotNet.RunAsync(root, null, "build", "ModelHost");
        Assert.True(build.ExitCode == 0, build.Output);
        await RunHostToReadinessAsync(Path.Combine(root, "ModelHost", "bin", "Debug", "net10.0", "ModelHost.dll"),
            Path.Combine(modelVersion, "half_plus_two.onnx"));
    }

    private static async Task RunHostToReadinessAsync(string hostDll, string modelPath)
    {
        using var process = DotnetCli.Start(Path.GetDirectoryName(hostDll)!,
            new Dictionary<string, string?> { ["Model__Path"] = modelPath, ["ASPNETCORE_URLS"] = "http://127.0.0.1:0" }, hostDll);
        var output = new System.Text.StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data is { } line && ListeningOn().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var client = new HttpClient { BaseAddress = address };
            using (var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative)))
            {
                Assert.Equal(System.Net.HttpStatusCode.OK, live.StatusCode);
            }

            var watch = Stopwatch.StartNew();
            while (true)
            {
                using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (ready.IsSuccessStatusCode)
                {
                    break;
                }

                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"the host did not get ready:\n{output}");
                await Task.Delay(200);
            }

            // OpenTelemetry's Prometheus exporter carries Warmup's meter: the replay's records were counted.
            var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Matches("warmup_model_warmup_records_read_total\\{[^}]*model=\"half_plus_two\"[^}]*status=\"ok\"[^}]*\\} 2", metrics);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static long[] Dims(Warmup.Format.Protos.TensorFlow.TensorProto tensor) => [.. tensor.TensorShape.Dim.Select(d => d.Size)];

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}

/// <summary>Deletes a test's folder when the test is done (declared first, so disposed after its processes).</summary>
internal sealed class FolderCleanup(string folder) : IDisposable
{
    public void Dispose() => ProductPackages.DeleteFolder(folder);
}
