using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Warmup.Testing;

namespace Warmup.Samples.Tests;

/// <summary>Runs README's main command once; the samples tests share its local feed.</summary>
public sealed class QuickStartFixture : IAsyncLifetime
{
    public int ExitCode { get; private set; }

    public string Output { get; private set; } = string.Empty;

    public async Task InitializeAsync() =>
        (ExitCode, Output) = await DotnetCli.RunAsync(RepoPaths.Root, null, TimeSpan.FromMinutes(20), "run", "--project", "samples/QuickStart");

    public Task DisposeAsync() => Task.CompletedTask;
}

[Collection(SamplesCollection.Name)]
public sealed class QuickStartTests(QuickStartFixture quickStart)
{
    private static readonly string[] ExpectedShapes = ["[1,16]", "[8,16]", "[1,64]", "[8,64]", "[1,128]", "[8,128]"];

    [Fact]
    public void The_committed_half_plus_two_model_is_what_the_project_builder_produces()
    {
        var committed = File.ReadAllBytes(Path.Combine(RepoPaths.Root, "samples", "HalfPlusTwo", "half_plus_two.onnx"));
        Assert.Equal(TestModels.HalfPlusTwo().ToBytes(), committed);
    }

    [Fact]
    public void The_main_command_builds_the_warmup_file_replays_it_and_prints_the_table()
    {
        Assert.True(quickStart.ExitCode == 0, quickStart.Output);
        var output = quickStart.Output;

        // The build task wrote the warmup file into the model package, in TF Serving's layout.
        var package = Path.Combine(RepoPaths.Root, "artifacts", "feed", "TextEmbeddings.Model.1.0.0.nupkg");
        Assert.True(File.Exists(package), output);

        // Summary line: 6 records (3 lengths x 2 batch sizes), CPU here (the GPU package falls back, visibly).
        Assert.Contains("all_minilm_l6_v2 on CPU: 6 warmup records, 6 shapes", output, StringComparison.Ordinal);
        Assert.Contains("falling back to the CPU execution provider", output, StringComparison.Ordinal);

        // One row per shape with cold, warm and steady figures and both ratios.
        var rows = output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('[')).ToList();
        Assert.Equal(ExpectedShapes, rows.Select(r => r.Split(' ')[0]).ToArray());
        foreach (var row in rows)
        {
            var ratios = row.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(t => t.EndsWith('x')).Select(t => double.Parse(t.TrimEnd('x'), CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(2, ratios.Length);
            Assert.All(ratios, r => Assert.True(r > 0, row));
        }

        Assert.Matches(@"median first request / steady: without warmup \d+\.\d\dx, with warmup \d+\.\d\dx", output);

        // Figures come from fresh processes of the host, as a restarted service meets cold start, and time to ready is shown.
        Assert.Contains("medians over 3 fresh processes per condition", output, StringComparison.Ordinal);
        Assert.Matches(@"time to ready: without warmup \d+ ms \(session\), with warmup \d+ ms \(session \d+ ms \+ replay \d+ ms\)", output);
    }

    [Fact]
    public async Task The_web_host_is_ready_only_after_warmup_and_serves_predictions()
    {
        Assert.True(quickStart.ExitCode == 0, quickStart.Output);
        var root = RepoPaths.Root;
        var feed = Path.Combine(root, "artifacts", "feed");
        var pack = await DotnetCli.RunAsync(root, null, TimeSpan.FromMinutes(5), "pack", "samples/HalfPlusTwo", "-o", feed, "-nologo");
        Assert.True(pack.ExitCode == 0, pack.Output);
        var build = await DotnetCli.RunAsync(root, null, TimeSpan.FromMinutes(5), "build", "samples/WebHost", "-nologo");
        Assert.True(build.ExitCode == 0, build.Output);

        var host = Path.Combine(root, "samples", "WebHost", "bin", "Debug", "net10.0");
        Assert.True(File.Exists(Path.Combine(host, "models", "half_plus_two", "1", "assets.extra", "tf_serving_warmup_requests")),
            "the model package's buildTransitive props must copy the model and its warmup file into the host's output");

        var port = Loopback.FreePort();
        using var process = DotnetCli.Start(host, null, Path.Combine(host, "WebHost.dll"), "--urls", $"http://127.0.0.1:{port}");
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            var statuses = new List<HttpStatusCode>();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                    statuses.Add(ready.StatusCode);
                    if (ready.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    // Kestrel not listening yet.
                }

                await Task.Delay(100);
            }

            Assert.True(statuses.LastOrDefault() == HttpStatusCode.OK, $"never ready: {string.Join(",", statuses)}\n{log}");
            using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);

            using var response = await client.PostAsJsonAsync(new Uri("/predict", UriKind.Relative), new { instances = new[] { new[] { 1f }, new[] { 2f } } });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            using var json = JsonDocument.Parse(body);
            var predictions = json.RootElement.GetProperty("predictions").EnumerateArray().Select(r => r[0].GetSingle()).ToArray();
            Assert.Equal([2.5f, 3f], predictions);

            // OpenTelemetry's Prometheus exporter carries Warmup's meter.
            var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Contains("warmup_model_warmup_records_read_total", metrics, StringComparison.Ordinal);

            // The warmup was logged like TF Serving's, with the record count of the model package's file.
            lock (log)
            {
                Assert.Contains("Number of warmup records read: 4", log.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

}
