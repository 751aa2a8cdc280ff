using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Warmup.Runtime;
using Warmup.Runtime.Hosting;

var builder = WebApplication.CreateSlimBuilder(args);

// The model package put TF Serving's layout into the output: models/half_plus_two/1/{half_plus_two.onnx, assets.extra/…}.
var modelDirectory = Path.Combine(AppContext.BaseDirectory, "models", "half_plus_two", "1");
builder.Services.AddWarmedOnnxModel("half_plus_two", options =>
{
    options.ModelPath = Path.Combine(modelDirectory, "half_plus_two.onnx");
    // Background: Kestrel starts at once; /health/ready says Unhealthy until the warmup file has been replayed.
    options.StartupMode = WarmupStartupMode.Background;
    options.Replay = new WarmupReplayOptions { ModelName = "half_plus_two" };
});
builder.Services.AddHealthChecks().AddWarmupHealthCheck();
// OpenTelemetry: Warmup's meter and replay span (docs/hosting.md#opentelemetry). Prometheus scrapes GET /metrics; the
// replay span goes to the console.
builder.Services.AddOpenTelemetry()
    .WithMetrics(metrics => metrics.AddMeter(WarmupTelemetry.MeterName, "Microsoft.AspNetCore.Hosting").AddPrometheusExporter())
    .WithTracing(tracing => tracing.AddSource(WarmupTelemetry.ActivitySourceName).AddConsoleExporter());
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, PredictJson.Default));

var app = builder.Build();

app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
app.MapPrometheusScrapingEndpoint();

// TF Serving's REST shape: {"instances": [[x], …]} → {"predictions": [[y], …]}.
app.MapPost("/predict", ([FromKeyedServices("half_plus_two")] WarmedOnnxModel model, PredictRequest request) =>
{
    if (!model.IsReady)
    {
        return Results.Problem("The model is still warming up.", statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    var rows = request.Instances;
    if (rows is null || rows.Length == 0 || rows.Any(r => r.Length != 1))
    {
        return Results.BadRequest(new ErrorResponse("instances must be a non-empty list of one-element lists, e.g. [[1.0], [2.0]]."));
    }

    var x = new DenseTensor<float>(rows.Select(r => r[0]).ToArray(), [rows.Length, 1]);
    using var results = model.Session.Run([NamedOnnxValue.CreateFromTensor("x", x)]);
    var y = results[0].AsEnumerable<float>().Select(v => new[] { v }).ToArray();
    return Results.Ok(new PredictResponse(y));
});

app.Run();

internal sealed record PredictRequest(float[][]? Instances);

internal sealed record PredictResponse(float[][] Predictions);

internal sealed record ErrorResponse(string Error);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PredictRequest))]
[JsonSerializable(typeof(PredictResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class PredictJson : JsonSerializerContext;
