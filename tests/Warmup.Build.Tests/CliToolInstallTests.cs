using System.Diagnostics;
using System.Runtime.InteropServices;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Tensors;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>
/// `dotnet tool install` of the packed Warmup.Cli gives, on this machine's RID, the Native AOT <c>warmup</c>: a native
/// executable with ONNX Runtime's native library beside it, that validates, replays on ONNX Runtime and measures in fresh
/// processes of itself.
/// </summary>
public sealed class CliToolInstallTests
{
    [Fact]
    public async Task The_installed_tool_is_native_and_validates_runs_and_measures_on_onnx_runtime()
    {
        var product = await CliToolPackage.GetAsync();
        var work = Directory.CreateTempSubdirectory("warmup-tool-install-").FullName;
        try
        {
            var tools = Path.Combine(work, "tools");
            var install = await DotnetCli.RunAsync(work, null, TimeSpan.FromMinutes(5), "tool", "install", "Warmup.Cli", "--tool-path", tools,
                "--add-source", product.Feed, "--version", product.Version);
            Assert.True(install.ExitCode == 0, install.Output);

            var rid = RuntimeInformation.RuntimeIdentifier;
            var command = Path.Combine(tools, OperatingSystem.IsWindows() ? "warmup.exe" : "warmup");
            Assert.True(File.Exists(command), $"{command} missing:\n{install.Output}");
            // The RID package was chosen: the store holds Warmup.Cli.<rid>'s native executable and libonnxruntime, no warmup.dll.
            var folder = Path.Combine(tools, ".store", "warmup.cli", product.Version, $"warmup.cli.{rid}", product.Version, "tools", "any", rid);
            Assert.True(Directory.Exists(folder), $"{folder} missing: the RID-specific package was not installed");
            var files = Directory.GetFiles(folder).Select(Path.GetFileName).ToList();
            Assert.DoesNotContain("warmup.dll", files);
            Assert.Contains(OperatingSystem.IsWindows() ? "onnxruntime.dll" : OperatingSystem.IsMacOS() ? "libonnxruntime.dylib" : "libonnxruntime.so", files);
            if (OperatingSystem.IsLinux())
            {
                var header = new byte[4];
                using (var executable = File.OpenRead(Path.Combine(folder, "warmup")))
                {
                    executable.ReadExactly(header);
                }

                Assert.Equal("\u007fELF"u8.ToArray(), header);
            }

            var version = Run(command, "--version");
            Assert.True(version.ExitCode == 0 && version.Output.StartsWith(product.Version, StringComparison.Ordinal), version.Output);

            var model = TestModels.HalfPlusTwo().Save(Path.Combine(work, "half_plus_two.onnx"));
            var requests = Path.Combine(work, "tf_serving_warmup_requests");
            WarmupFile.Write(requests, [Log([1f]), Log([2f, 3f])]);

            var validate = Run(command, "validate", requests, "--model", model);
            Assert.True(validate.ExitCode == 0, validate.Output);
            var run = Run(command, "run", "--model", model, "--requests", requests);
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("2 replayed, 0 failed", run.Output, StringComparison.Ordinal);
            // Fresh processes of the native tool itself (measure-child), where there is no .dll to hand to a dotnet host.
            var measure = Run(command, "measure", "--model", model, "--requests", requests, "--processes", "1", "--json");
            Assert.True(measure.ExitCode == 0, measure.Output);
            using var report = System.Text.Json.JsonDocument.Parse(measure.Stdout);
            var summary = report.RootElement.GetProperty("summary");
            Assert.Equal("process", summary.GetProperty("scope").GetString());
            Assert.Equal(2, summary.GetProperty("records").GetInt32());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static PredictionLog Log(float[] values)
    {
        var request = new PredictRequest { ModelSpec = new ModelSpec { Name = "half_plus_two" } };
        request.Inputs.Add("x", TensorProtoConverter.FromArray(values, values.Length, 1));
        return new PredictionLog { PredictLog = new PredictLog { Request = request } };
    }

    /// <summary>What the tool printed: <see cref="Output"/> is stdout then stderr.</summary>
    private sealed record ToolResult(int ExitCode, string Stdout, string Output);

    private static ToolResult Run(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"warmup {string.Join(' ', args)} did not finish within 2 minutes.");
        }

        return new ToolResult(process.ExitCode, stdout.Result, stdout.Result + stderr.Result);
    }
}
