using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Warmup.Testing;

namespace Warmup.Samples.Tests;

/// <summary>A sample server built from the local feed and started on a free loopback port, its output captured.</summary>
public sealed class ServedHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServedHost(Process process, int port)
    {
        _process = process;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public HttpClient Client { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Packs the model project into the local feed, builds the server, starts it with <paramref name="args"/>.</summary>
    public static async Task<ServedHost> StartAsync(string modelProject, string project, string dll, params string[] args)
    {
        var root = RepoPaths.Root;
        var feed = Path.Combine(root, "artifacts", "feed");
        var pack = await DotnetCli.RunAsync(root, null, TimeSpan.FromMinutes(10), "pack", modelProject, "-o", feed, "-nologo");
        Assert.True(pack.ExitCode == 0, pack.Output);
        var build = await DotnetCli.RunAsync(root, null, TimeSpan.FromMinutes(10), "build", project, "-nologo");
        Assert.True(build.ExitCode == 0, build.Output);
        var output = Path.Combine(root, project, "bin", "Debug", "net10.0");
        var port = Loopback.FreePort();
        var process = DotnetCli.Start(output, null, [Path.Combine(output, dll), "--urls", $"http://127.0.0.1:{port}", .. args]);
        return new ServedHost(process, port);
    }

    /// <summary>Polls /health/ready until it answers 200; returns every status seen before.</summary>
    public async Task<List<HttpStatusCode>> WaitUntilReadyAsync(TimeSpan timeout)
    {
        var statuses = new List<HttpStatusCode>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout && !_process.HasExited)
        {
            try
            {
                using var ready = await Client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                statuses.Add(ready.StatusCode);
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return statuses;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException($"never ready ({string.Join(",", statuses)}):\n{Log}");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

}
