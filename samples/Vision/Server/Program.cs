using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Vision.Server;
using Warmup.AspNetCore;
using Warmup.Runtime;
using Warmup.Runtime.Hosting;

var builder = WebApplication.CreateSlimBuilder(args);

// --warmup none | model | path (default path; samples/Shared/WarmupCondition.cs): what is warm before readiness.
if (WarmupCondition.Read(builder.Configuration) is not { } warmup)
{
    return 2;
}

builder.Services.AddSingleton<ImageFeatures>();
builder.Services.AddWarmedOnnxModel("resnet18", options =>
{
    // The model package put TF Serving's layout into the output: models/resnet18/1/{ResNet18.onnx, assets.extra/…}.
    options.ModelPath = Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "1", "ResNet18.onnx");
    options.StartupMode = WarmupStartupMode.Background;
    options.Replay = new WarmupReplayOptions { Iterations = warmup == "none" ? 0 : WarmupReplayOptions.DefaultIterations };
    if (warmup == "path")
    {
        // The endpoint's own code on each record: JPEG encode/decode, resize, crop, normalise, Run, ranking.
        options.RequestPathWarmup = (record, _) =>
        {
            record.Services.GetRequiredService<ImageFeatures>().Describe(ImageFeatures.PictureOf(record), 5);
            return ValueTask.CompletedTask;
        };
    }
});
builder.Services.AddHealthChecks().AddWarmupHealthCheck();
if (warmup == "path")
{
    builder.Services.AddHttpWarmup(http =>
    {
        http.FromRecords("resnet18", record => HttpWarmupRequest.Post("/features?k=5", ImageFeatures.PictureOf(record), "image/jpeg"));
        // The refusal path is served too: its JSON and problem details get compiled before the first bad client.
        http.Requests.Add(HttpWarmupRequest.Post("/features", "not an image"u8.ToArray(), "application/octet-stream").Expecting(400));
    });
}

builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, VisionJson.Default));

var app = builder.Build();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });

// Image bytes in (any content type), the k strongest of ResNet18's 512 pooled feature channels out.
app.MapPost("/features", async (HttpRequest request, ImageFeatures features, [FromKeyedServices("resnet18")] WarmedOnnxModel model, int? k) =>
{
    if (!model.IsReady)
    {
        return Results.Json(new ErrorResponse("The model is still warming up."), VisionJson.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    if (request.ContentLength > ImageFeatures.MaxBytes)
    {
        return Results.BadRequest(new ErrorResponse($"The image is {request.ContentLength} bytes; the service takes at most {ImageFeatures.MaxBytes} bytes."));
    }

    // Read at most one byte more than the limit: a body without Content-Length cannot make the service buffer more.
    var buffer = new MemoryStream();
    var chunk = new byte[81920];
    int read;
    while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0 && buffer.Length <= ImageFeatures.MaxBytes)
    {
        buffer.Write(chunk, 0, read);
    }

    try
    {
        return Results.Ok(features.Describe(buffer.GetBuffer().AsSpan(0, (int)Math.Min(buffer.Length, int.MaxValue)), k ?? 5));
    }
    catch (BadImageException ex)
    {
        return Results.BadRequest(new ErrorResponse(ex.Message));
    }
});

app.Run();
return 0;

internal sealed record ErrorResponse(string Error);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(FeaturesResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class VisionJson : JsonSerializerContext;
