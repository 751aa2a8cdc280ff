using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Warmup.AspNetCore;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Warmup.Runtime;
using Warmup.Runtime.Hosting;

var builder = WebApplication.CreateSlimBuilder(args);

// --warmup none | model | path (default path; samples/Shared/WarmupCondition.cs): what is warm before readiness.
if (WarmupCondition.Read(builder.Configuration) is not { } warmup)
{
    return 2;
}

// The model package put TF Serving's layout into the output: models/half_plus_two/1/{half_plus_two.onnx, assets.extra/…}.
var modelDirectory = Path.Combine(AppContext.BaseDirectory, "models", "half_plus_two", "1");
builder.Services.AddWarmedOnnxModel("half_plus_two", options =>
{
    options.ModelPath = Path.Combine(modelDirectory, "half_plus_two.onnx");
    // Background: Kestrel starts at once; /health/ready says Unhealthy until the warmup file has been replayed.
    options.StartupMode = WarmupStartupMode.Background;
    options.Replay = new WarmupReplayOptions { ModelName = "half_plus_two", Iterations = warmup == "none" ? 0 : WarmupReplayOptions.DefaultIterations };
    if (warmup == "path")
    {
        options.RequestPathWarmup = (record, _) =>
        {
            Inference.Predict(record.Model, Inference.RowsOf(record));
            return ValueTask.CompletedTask;
        };
    }
    // Opt-in request recording, e.g. --Warmup:Recording:Enabled=true --Warmup:Recording:OutputPath=recorded.tfrecord.
    builder.Configuration.GetSection("Warmup:Recording").Bind(options.Recording);
});
builder.Services.AddHealthChecks().AddWarmupHealthCheck();
if (warmup == "path")
{
    // One /predict per record, with the record's rows as TF Serving's REST body; readiness waits for the answers.
    builder.Services.AddHttpWarmup(http => http.FromRecords("half_plus_two", record => HttpWarmupRequest.Post("/predict",
        JsonSerializer.SerializeToUtf8Bytes(new PredictRequest(Inference.RowsOf(record)), PredictJson.Default.PredictRequest), "application/json")));
}
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

    return Results.Ok(Inference.Predict(model, rows));
});

app.Run();
return 0;

/// <summary>The service's inference, in one place: the endpoint and the request-path warmup both call it.</summary>
internal static class Inference
{
    public static PredictResponse Predict(WarmedOnnxModel model, float[][] rows)
    {
        var x = new DenseTensor<float>(rows.Select(r => r[0]).ToArray(), [rows.Length, 1]);
        // Served through the warmed model, so coverage (warmup.uncovered_requests) and the recorder see each request.
        using var results = model.Run([NamedOnnxValue.CreateFromTensor("x", x)]);
        return new PredictResponse(results[0].AsEnumerable<float>().Select(v => new[] { v }).ToArray());
    }

    // A warmup record's x [batch, 1] as the REST body's rows.
    public static float[][] RowsOf(WarmupRequest record) => record.Input("x").GetValues<float>().Select(v => new[] { v }).ToArray();
}

internal sealed record PredictRequest(float[][]? Instances);

internal sealed record PredictResponse(float[][] Predictions);

internal sealed record ErrorResponse(string Error);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PredictRequest))]
[JsonSerializable(typeof(PredictResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class PredictJson : JsonSerializerContext;
