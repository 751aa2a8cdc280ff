using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Warmup.Runtime;
using Warmup.Runtime.Hosting;

var builder = WebApplication.CreateBuilder(args);

// The model, in TF Serving's layout (models/<name>/<version>/<file>.onnx with assets.extra/tf_serving_warmup_requests
// beside it), relative to the app's folder unless rooted. Configure it in appsettings.json or the environment (Model__Path).
var modelName = builder.Configuration["Model:Name"] ?? "warmup_model_name";
var modelPath = Path.GetFullPath(builder.Configuration["Model:Path"] ?? $"models/{modelName}/1/{modelName}.onnx", AppContext.BaseDirectory);
builder.Services.AddWarmedOnnxModel(modelName, options =>
{
    options.ModelPath = modelPath;
    options.ExecutionProvider = ExecutionProviders.Parse(builder.Configuration["Model:ExecutionProvider"] ?? "cpu");
    // Background: Kestrel answers at once (liveness); /health/ready is Unhealthy until the warmup file has been replayed.
    options.StartupMode = WarmupStartupMode.Background;
    options.Replay = new WarmupReplayOptions { ModelName = modelName };
});
builder.Services.AddHealthChecks().AddWarmupHealthCheck();

// OpenTelemetry: Warmup's meter (model_warmup_latency, model_warmup_records_read) and its replay span, with ASP.NET Core's
// own meters and spans. OpenTelemetry:Exporter = prometheus (GET /metrics) or console.
var exporter = builder.Configuration["OpenTelemetry:Exporter"] ?? "prometheus";
if (exporter is not ("prometheus" or "console"))
{
    throw new InvalidOperationException($"OpenTelemetry:Exporter is \"{exporter}\": use \"prometheus\" or \"console\".");
}

builder.Services.AddOpenTelemetry()
    .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
    .WithMetrics(metrics =>
    {
        metrics.AddMeter(WarmupTelemetry.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel");
        if (exporter == "console")
        {
            metrics.AddConsoleExporter();
        }
        else
        {
            metrics.AddPrometheusExporter();
        }
    })
    .WithTracing(tracing =>
    {
        tracing.AddSource(WarmupTelemetry.ActivitySourceName, "Microsoft.AspNetCore");
        if (exporter == "console")
        {
            tracing.AddConsoleExporter();
        }
    });

var app = builder.Build();

// Kubernetes probes (deploy/kubernetes.yaml): liveness answers as soon as the process serves HTTP; readiness (and the
// startup probe) only once every model is warm.
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
if (exporter == "prometheus")
{
    app.MapPrometheusScrapingEndpoint();
}

// The model's state; map your inference endpoints here, resolving the session with
// [FromKeyedServices("warmup_model_name")] WarmedOnnxModel model → model.Session.Run(…).
app.MapGet("/v1/models/{name}", (string name, WarmedOnnxModels models) =>
    models.FirstOrDefault(m => m.Name == name) is { } model ? Results.Ok(new { name, state = model.State.ToString() }) : Results.NotFound());

app.Run();
