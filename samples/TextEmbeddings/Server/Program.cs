using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using TextEmbeddings.Server;
using Warmup.AspNetCore;
using Warmup.Runtime;
using Warmup.Runtime.Hosting;

var builder = WebApplication.CreateSlimBuilder(args);

// --warmup none | model | path (default path; samples/Shared/WarmupCondition.cs): what is warm before readiness.
if (WarmupCondition.Read(builder.Configuration) is not { } warmup)
{
    return 2;
}

const int MaxBodyBytes = 1 << 20;
builder.Services.AddSingleton<Embeddings>();
builder.Services.AddWarmedOnnxModel("all_minilm_l6_v2", options =>
{
    // The model package put TF Serving's layout into the output: models/all_minilm_l6_v2/1/{model, assets.extra/…}.
    options.ModelPath = Path.Combine(AppContext.BaseDirectory, "models", "all_minilm_l6_v2", "1", "all_minilm_l6_v2.onnx");
    options.StartupMode = WarmupStartupMode.Background;
    options.Replay = new WarmupReplayOptions { Iterations = warmup == "none" ? 0 : WarmupReplayOptions.DefaultIterations };
    if (warmup == "path")
    {
        // The endpoint's own code on each record: tokenizer, padding, Run, pooling.
        options.RequestPathWarmup = (record, _) =>
        {
            var embeddings = record.Services.GetRequiredService<Embeddings>();
            embeddings.Embed(embeddings.TextsOf(record));
            return ValueTask.CompletedTask;
        };
    }
});
builder.Services.AddHealthChecks().AddWarmupHealthCheck();
if (warmup == "path")
{
    builder.Services.AddHttpWarmup(http =>
    {
        http.FromRecords("all_minilm_l6_v2", record =>
        {
            var texts = record.Services.GetRequiredService<Embeddings>().TextsOf(record);
            return HttpWarmupRequest.Post("/embed", JsonSerializer.SerializeToUtf8Bytes(new EmbedRequest(texts), EmbeddingsJson.Default.EmbedRequest),
                "application/json");
        });
        // The refusal path is served too, so the first bad client meets compiled code.
        http.Requests.Add(HttpWarmupRequest.PostJson("/embed", "{\"texts\":[\"\"]}").Expecting(400));
    });
}

builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, EmbeddingsJson.Default));

var app = builder.Build();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });

// {"texts": ["…", …]} → {"model": …, "tokens": [n, …], "embeddings": [[384 floats], …]}
app.MapPost("/embed", async (HttpRequest request, Embeddings embeddings, [FromKeyedServices("all_minilm_l6_v2")] WarmedOnnxModel model) =>
{
    if (!model.IsReady)
    {
        return Results.Json(new ErrorResponse("The model is still warming up."), EmbeddingsJson.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    if (request.ContentLength > MaxBodyBytes)
    {
        return Results.BadRequest(new ErrorResponse($"The body is {request.ContentLength} bytes; the service takes at most {MaxBodyBytes}."));
    }

    EmbedRequest? body;
    try
    {
        body = await JsonSerializer.DeserializeAsync(new LimitedStream(request.Body, MaxBodyBytes), EmbeddingsJson.Default.EmbedRequest, request.HttpContext.RequestAborted);
    }
    catch (Exception ex) when (ex is JsonException or InvalidDataException)
    {
        return Results.BadRequest(new ErrorResponse($"The body is not {{\"texts\": [\"…\"]}} JSON: {ex.Message}"));
    }

    try
    {
        return Results.Ok(embeddings.Embed(body?.Texts));
    }
    catch (BadTextException ex)
    {
        return Results.BadRequest(new ErrorResponse(ex.Message));
    }
});

app.Run();
return 0;

internal sealed record EmbedRequest(string?[]? Texts);

internal sealed record ErrorResponse(string Error);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(EmbedRequest))]
[JsonSerializable(typeof(EmbedResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class EmbeddingsJson : JsonSerializerContext;
