// The cold start a client of a restarted service sees, over HTTP on loopback. Each sample host (WebHost:
// half_plus_two; Vision.Server: ResNet18; TextEmbeddings.Server: all-MiniLM-L6-v2) is started fresh K times per
// condition: --warmup none (the file is read, nothing runs), model (the file is replayed on the session), path (also
// each record through the app's inference code and HTTP requests through its own endpoints, before readiness). Each
// time the client polls /health/ready, sends the first request, then 30 more; per process it computes first / steady
// p50 (the median of the 30) and time to ready; the tables give medians over processes, and min–max. Then, in the same
// warm process, it pauses (300 ms), polls readiness and times one request, 5 times: "after idle" is what any request
// that follows a quiet spell costs in a warm process (sleeping threads woken, caches refilled), the floor under the
// first request after readiness, which also follows a quiet spell (the warmup pass settling, the readiness poll).
// A second table starts WebHost under runtime settings (TieredPGO, TieredCompilation, ReadyToRun).
//
// Run: dotnet run -c Release --project bench/Warmup.Bench.Http [-- --processes 5] [--hosts webhost,vision,embeddings] [--no-settings]
// Needs the local feed filled by `dotnet run --project samples/QuickStart` (the model packages are packed here).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Warmup.Testing;

var processes = Option("--processes", 5);
var steadyRuns = Option("--requests", 30);
var hostNames = OptionText("--hosts", "webhost,vision,embeddings").Split(',');
var root = RepoPaths.Root;
var feed = Path.Combine(root, "artifacts", "feed");
if (!File.Exists(Path.Combine(feed, $"Warmup.AspNetCore.{RepoPaths.Version}.nupkg")))
{
    Console.Error.WriteLine($"error: {feed} has no Warmup packages. Run `dotnet run --project samples/QuickStart` first.");
    return 2;
}

var hosts = new[]
{
    new HostSpec("webhost", "samples/WebHost", "WebHost.dll", "samples/HalfPlusTwo", "/predict", "application/json",
        Encoding.UTF8.GetBytes("{\"instances\": [[1.0]]}")),
    new HostSpec("vision", "samples/Vision/Server", "Vision.Server.dll", "samples/Vision/Model", "/features?k=5", "image/jpeg", CameraJpeg()),
    new HostSpec("embeddings", "samples/TextEmbeddings/Server", "TextEmbeddings.Server.dll", "samples/TextEmbeddings/Model", "/embed",
        "application/json", Encoding.UTF8.GetBytes("{\"texts\": [\"What will the weather be like in Paris tomorrow?\"]}")),
}.Where(h => hostNames.Contains(h.Name)).ToArray();

foreach (var host in hosts)
{
    Console.Error.WriteLine($"Packing {host.ModelProject} and building {host.Project} (Release) ...");
    Dotnet("pack", host.ModelProject, "-c", "Release", "-o", feed);
    Dotnet("build", host.Project, "-c", "Release");
}

Console.WriteLine($"# HTTP cold start, {processes} fresh processes per condition, {steadyRuns} requests after the first; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine();
Console.WriteLine("| host | warmup | time to ready | ready / none | first request | steady p50 | first / steady (min–max) | after idle p50 | first / after idle | load |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
foreach (var host in hosts)
{
    // One discarded start: the bench's own client code (HTTP, this host's request) is compiled before anything is timed.
    await RunHost(host, "model", null, steadyRuns);
    double? noneReady = null;
    foreach (var mode in new[] { "none", "model", "path" })
    {
        var load = LoadAverage();
        var runs = new List<Run>();
        for (var i = 0; i < processes; i++)
        {
            runs.Add(await RunHost(host, mode, null, steadyRuns));
        }

        var ready = Statistics.Median(runs.Select(r => r.ReadyMs));
        noneReady ??= ready;
        var ratios = runs.Select(r => r.FirstMs / r.SteadyP50Ms).ToArray();
        var idleRatios = runs.Select(r => r.FirstMs / r.AfterIdleP50Ms).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {host.Name} | {mode} | {ready:F0} ms | {ready / noneReady:F2}× | {Statistics.Median(runs.Select(r => r.FirstMs)):F2} ms | {Statistics.Median(runs.Select(r => r.SteadyP50Ms)):F2} ms | **{Statistics.Median(ratios):F2}×** ({ratios.Min():F2}–{ratios.Max():F2}) | {Statistics.Median(runs.Select(r => r.AfterIdleP50Ms)):F2} ms | {Statistics.Median(idleRatios):F2}× | {load} |"));
    }
}

if (!args.Contains("--no-settings") && hosts.Any(h => h.Name == "webhost"))
{
    var webHost = hosts.First(h => h.Name == "webhost");
    Console.Error.WriteLine("Publishing WebHost with ReadyToRun ...");
    var r2rFolder = Path.Combine(root, "artifacts", "bench-http", "webhost-r2r");
    var r2r = TryDotnet("publish", webHost.Project, "-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", r2rFolder);
    var settings = new List<(string Name, string? Folder, Dictionary<string, string>? Environment)>
    {
        ("defaults (tiered, PGO on, framework ReadyToRun)", null, null),
        ("DOTNET_TieredPGO=0", null, new() { ["DOTNET_TieredPGO"] = "0" }),
        ("DOTNET_TieredCompilation=0 (everything fully optimised at first call)", null, new() { ["DOTNET_TieredCompilation"] = "0" }),
        ("DOTNET_ReadyToRun=0 (framework's precompiled code ignored)", null, new() { ["DOTNET_ReadyToRun"] = "0" }),
    };
    if (r2r)
    {
        settings.Add(("app published with PublishReadyToRun=true", r2rFolder, null));
    }

    Console.WriteLine();
    Console.WriteLine($"## WebHost under runtime settings ({processes} fresh processes each)");
    Console.WriteLine();
    Console.WriteLine("| setting | warmup | time to ready | first request | steady p50 | first / steady (min–max) | first / after idle | load |");
    Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---|");
    foreach (var (name, folder, environment) in settings)
    {
        foreach (var mode in new[] { "model", "path" })
        {
            var load = LoadAverage();
            var runs = new List<Run>();
            for (var i = 0; i < processes; i++)
            {
                runs.Add(await RunHost(webHost with { Output = folder }, mode, environment, steadyRuns));
            }

            var ratios = runs.Select(r => r.FirstMs / r.SteadyP50Ms).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {mode} | {Statistics.Median(runs.Select(r => r.ReadyMs)):F0} ms | {Statistics.Median(runs.Select(r => r.FirstMs)):F2} ms | {Statistics.Median(runs.Select(r => r.SteadyP50Ms)):F2} ms | **{Statistics.Median(ratios):F2}×** ({ratios.Min():F2}–{ratios.Max():F2}) | {Statistics.Median(runs.Select(r => r.FirstMs / r.AfterIdleP50Ms)):F2}× | {load} |"));
        }
    }

    if (!r2r)
    {
        Console.WriteLine();
        Console.WriteLine("(ReadyToRun publish failed on this machine; that row is missing.)");
    }
}

return 0;

// Starts the host, waits for readiness, sends the first request and steadyRuns more; kills it.
static async Task<Run> RunHost(HostSpec host, string mode, Dictionary<string, string>? environment, int steadyRuns)
{
    var folder = host.Output ?? Path.Combine(RepoPaths.Root, host.Project, "bin", "Release", "net10.0");
    var port = Loopback.FreePort();
    var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var arg in new[] { Path.Combine(folder, host.Dll), "--urls", $"http://127.0.0.1:{port}", "--warmup", mode })
    {
        start.ArgumentList.Add(arg);
    }

    foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) && k != "DOTNET_ROOT").ToList())
    {
        start.Environment.Remove(key);
    }

    foreach (var (key, value) in environment ?? [])
    {
        start.Environment[key] = value;
    }

    var log = new StringBuilder();
    var started = Stopwatch.StartNew();
    using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start dotnet");
    process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
    process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    try
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        var deadline = TimeSpan.FromSeconds(180);
        while (true)
        {
            if (started.Elapsed > deadline || process.HasExited)
            {
                throw new InvalidOperationException($"{host.Name} --warmup {mode} never got ready:\n{log}");
            }

            try
            {
                using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(10);
        }

        var readyMs = started.Elapsed.TotalMilliseconds;
        var times = new double[steadyRuns + 1];
        for (var i = 0; i < times.Length; i++)
        {
            times[i] = await TimedRequest();
        }

        // The same request after a quiet spell, as the first one came after the warmup pass settled: pause, poll
        // readiness (as the client did before its first request), then time one request.
        var afterIdle = new double[5];
        for (var i = 0; i < afterIdle.Length; i++)
        {
            await Task.Delay(300);
            using (await client.GetAsync(new Uri("/health/ready", UriKind.Relative)))
            {
            }

            afterIdle[i] = await TimedRequest();
        }

        return new Run(readyMs, times[0], Statistics.Median(times.Skip(1)), Statistics.Median(afterIdle));

        async Task<double> TimedRequest()
        {
            using var content = new ByteArrayContent(host.Body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(host.ContentType);
            var sent = Stopwatch.GetTimestamp();
            using var response = await client.PostAsync(new Uri(host.Path, UriKind.Relative), content);
            var body = await response.Content.ReadAsByteArrayAsync();
            var elapsed = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{host.Name}: {host.Path} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
            }

            return elapsed;
        }
    }
    finally
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }
}

static byte[] CameraJpeg()
{
    // 640×480, smooth colour fields with some texture: what a phone or camera frame decodes like.
    using var image = new Image<Rgb24>(640, 480);
    image.ProcessPixelRows(rows =>
    {
        for (var y = 0; y < rows.Height; y++)
        {
            var row = rows.GetRowSpan(y);
            for (var x = 0; x < row.Length; x++)
            {
                var noise = (byte)((x * 7919 + y * 104729) % 31);
                row[x] = new Rgb24((byte)(x * 255 / 640), (byte)(y * 255 / 480), (byte)(128 + noise));
            }
        }
    });
    using var stream = new MemoryStream();
    image.SaveAsJpeg(stream);
    return stream.ToArray();
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static void Dotnet(params string[] args)
{
    if (!TryDotnet(args))
    {
        Environment.Exit(1);
    }
}

static bool TryDotnet(params string[] args)
{
    var result = DotnetCli.RunAsync(RepoPaths.Root, null, TimeSpan.FromMinutes(15), [.. args, "-nologo", "-v:q"]).GetAwaiter().GetResult();
    if (result.ExitCode != 0)
    {
        Console.Error.WriteLine($"`dotnet {string.Join(' ', args)}` failed:\n{result.Output}");
    }

    return result.ExitCode == 0;
}

int Option(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

string OptionText(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;

internal sealed record HostSpec(string Name, string Project, string Dll, string ModelProject, string Path, string ContentType, byte[] Body)
{
    public string? Output { get; init; }
}

internal sealed record Run(double ReadyMs, double FirstMs, double SteadyP50Ms, double AfterIdleP50Ms);
