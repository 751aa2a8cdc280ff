using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Warmup.AspNetCore;
using Warmup.Format;
using Warmup.Runtime.Hosting;
using Warmup.Testing;

namespace Warmup.Runtime.Tests;

/// <summary>Warmup.AspNetCore: requests through a real Kestrel host's own endpoints on loopback before readiness.</summary>
public sealed class HttpWarmupTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private WebApplication Build(Action<HttpWarmupOptions> warmup, RequestDelegate? predict = null)
    {
        var path = TestModels.HalfPlusTwo().Save(Path.Combine(_dir.Path, "half_plus_two", "1", "model.onnx"));
        Records.Write(TfServing.GetWarmupFilePath(_dir.Path, "half_plus_two", 1), Records.Predict(("x", Records.Floats(1, 1))), Records.Predict(("x", Records.Floats(4, 1))));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddWarmedOnnxModel("half_plus_two", o =>
        {
            o.ModelPath = path;
            o.ExecutionProvider = ExecutionProvider.Cpu;
            o.StartupMode = WarmupStartupMode.Background;
        });
        builder.Services.AddHealthChecks().AddWarmupHealthCheck();
        builder.Services.AddHttpWarmup(warmup);
        var app = builder.Build();
        app.MapPost("/predict", predict ?? Predict);
        return app;
    }

    // {"x": [..]} → {"y": [..]}
    private static async Task Predict(HttpContext context)
    {
        var model = context.RequestServices.GetRequiredKeyedService<WarmedOnnxModel>("half_plus_two");
        using var json = await JsonDocument.ParseAsync(context.Request.Body);
        var values = json.RootElement.GetProperty("x").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        if (values.Length == 0)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("x must not be empty");
            return;
        }

        using var results = model.Session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(values, [values.Length, 1]))]);
        await context.Response.WriteAsJsonAsync(new { y = results[0].AsEnumerable<float>().ToArray() });
    }

    private static string Body(WarmupRequest record) =>
        "{\"x\":[" + string.Join(",", record.Input("x").GetValues<float>().Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]}";

    private static async Task<HealthReport> Ready(WebApplication app) =>
        await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("ready"));

    [Fact]
    public async Task Readiness_flips_only_after_the_app_answered_requests_derived_from_the_records_over_loopback()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<(int Count, string? Remote)>();
        await using var app = Build(o => o.FromRecords("half_plus_two", r => HttpWarmupRequest.PostJson("/predict", Body(r))), async context =>
        {
            await release.Task;   // hold the first warmup request: readiness must still say no
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            lock (seen)
            {
                seen.Add((JsonDocument.Parse(body).RootElement.GetProperty("x").GetArrayLength(), context.Connection.RemoteIpAddress?.ToString()));
            }

            context.Request.Body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body));
            await Predict(context);
        });

        await app.StartAsync();
        var model = app.Services.GetRequiredKeyedService<WarmedOnnxModel>("half_plus_two");
        await model.WhenReadyAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(model.IsReady);
        var held = await Ready(app);
        Assert.Equal(HealthStatus.Unhealthy, held.Status);
        Assert.StartsWith("HTTP warmup", held.Entries["warmup-http"].Description, StringComparison.Ordinal);

        release.SetResult();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await Ready(app)).Status != HealthStatus.Healthy && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var report = await Ready(app);
        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Contains("4 request(s) answered", report.Entries["warmup-http"].Description, StringComparison.Ordinal);
        // Two records (batch 1 and 4) × 2 iterations, through Kestrel on the loopback address.
        Assert.Equal([1, 4, 1, 4], seen.Select(s => s.Count).ToArray());
        Assert.All(seen, s => Assert.Equal("127.0.0.1", s.Remote));
        await app.StopAsync();
    }

    [Fact]
    public async Task A_warmup_request_answered_with_an_unexpected_status_keeps_the_host_not_ready_and_says_why()
    {
        await using var app = Build(o =>
        {
            o.Requests.Add(HttpWarmupRequest.PostJson("/predict", "{\"x\":[]}"));
            o.Iterations = 1;
        });

        await app.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        HealthReportEntry entry;
        do
        {
            await Task.Delay(20);
            entry = (await Ready(app)).Entries["warmup-http"];
        }
        while (!entry.Description!.StartsWith("HTTP warmup failed", StringComparison.Ordinal) && DateTime.UtcNow < deadline);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("POST /predict", entry.Description, StringComparison.Ordinal);
        Assert.Contains("answered 400", entry.Description, StringComparison.Ordinal);
        Assert.Contains("x must not be empty", entry.Description, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task An_expected_error_status_warms_the_error_path_and_the_host_gets_ready()
    {
        await using var app = Build(o =>
        {
            o.Requests.Add(HttpWarmupRequest.PostJson("/predict", "{\"x\":[2]}"));
            o.Requests.Add(HttpWarmupRequest.PostJson("/predict", "{\"x\":[]}").Expecting(400));
        });

        await app.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await Ready(app)).Status != HealthStatus.Healthy && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(HealthStatus.Healthy, (await Ready(app)).Status);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Assert.StartsWith("http://127.0.0.1:", address, StringComparison.Ordinal);
        await app.StopAsync();
    }
}
