using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Warmup.Samples.Tests;

/// <summary>The real-model servers over loopback: ResNet18 (samples/Vision) and all-MiniLM-L6-v2 (samples/TextEmbeddings/Server).</summary>
[Collection(SamplesCollection.Name)]
public sealed class ServedModelsTests(QuickStartFixture quickStart)
{
    // Starts the server (default --warmup path) and waits until ready: readiness must come after the model replay, the
    // request-path pass and the HTTP pass, in that order, and answer 503 before.
    private async Task<ServedHost> StartWarmAsync(string modelProject, string project, string dll, string model)
    {
        Assert.True(quickStart.ExitCode == 0, quickStart.Output);
        var host = await ServedHost.StartAsync(modelProject, project, dll);
        try
        {
            var statuses = await host.WaitUntilReadyAsync(TimeSpan.FromMinutes(3));
            Assert.All(statuses.SkipLast(1), s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));
            // The console logger writes from a queue: give the pass's last line a moment to reach the pipe.
            for (var i = 0; i < 100 && !host.Log.Contains("request(s) answered in", StringComparison.Ordinal); i++)
            {
                await Task.Delay(50);
            }

            var log = host.Log;
            var replayed = log.IndexOf("Finished reading warmup data", StringComparison.Ordinal);
            var path = log.IndexOf($"Model {model}: the request path is warm", StringComparison.Ordinal);
            var http = log.IndexOf("HTTP warmup: ", StringComparison.Ordinal) is var h && h >= 0 ? log.IndexOf("answered in", h, StringComparison.Ordinal) : -1;
            Assert.True(replayed >= 0 && path > replayed && http > path, log);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    private static ByteArrayContent Bytes(byte[] body, string type)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private static async Task<string> AssertBadRequest(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("error").GetString()!;
    }

    private static byte[] Png(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)((x ^ y) & 0xff));
                }
            }
        });
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    // A BMP header that says 5000×5000: the server must refuse it from the header, before decoding anything.
    private static byte[] HugeBmpHeader()
    {
        var header = new byte[54];
        "BM"u8.CopyTo(header);
        BitConverter.TryWriteBytes(header.AsSpan(2), 54 + (5000 * 5000 * 3));
        BitConverter.TryWriteBytes(header.AsSpan(10), 54);
        BitConverter.TryWriteBytes(header.AsSpan(14), 40);
        BitConverter.TryWriteBytes(header.AsSpan(18), 5000);
        BitConverter.TryWriteBytes(header.AsSpan(22), 5000);
        BitConverter.TryWriteBytes(header.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(header.AsSpan(28), (short)24);
        return header;
    }

    [Fact]
    public async Task The_vision_server_is_ready_only_after_warmup_ranks_resnet18_features_and_refuses_bad_images()
    {
        await using var host = await StartWarmAsync("samples/Vision/Model", "samples/Vision/Server", "Vision.Server.dll", "resnet18");

        // A real request: a 300×200 PNG → the 3 strongest of 512 channels, ranked, the same for the same picture.
        var picture = Png(300, 200);
        using var response = await host.Client.PostAsync(new Uri("/features?k=3", UriKind.Relative), Bytes(picture, "image/png"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("resnet18", json.RootElement.GetProperty("model").GetString());
        Assert.Equal(300, json.RootElement.GetProperty("width").GetInt32());
        Assert.Equal("PNG", json.RootElement.GetProperty("format").GetString());
        var top = json.RootElement.GetProperty("top").EnumerateArray().Select(f => (f.GetProperty("channel").GetInt32(), f.GetProperty("activation").GetSingle())).ToArray();
        Assert.Equal(3, top.Length);
        Assert.All(top, f => Assert.InRange(f.Item1, 0, 511));
        Assert.True(top[0].Item2 >= top[1].Item2 && top[1].Item2 >= top[2].Item2, body);
        Assert.True(top[0].Item2 > 0 && json.RootElement.GetProperty("norm").GetSingle() > 0, body);
        using var again = await host.Client.PostAsync(new Uri("/features?k=3", UriKind.Relative), Bytes(picture, "image/png"));
        Assert.Equal(body, await again.Content.ReadAsStringAsync());

        // Bad input: 400 with a message that says what to send.
        using var notImage = await host.Client.PostAsync(new Uri("/features", UriKind.Relative), Bytes("hello, I am text"u8.ToArray(), "image/jpeg"));
        Assert.Contains("not an image", await AssertBadRequest(notImage), StringComparison.Ordinal);
        using var empty = await host.Client.PostAsync(new Uri("/features", UriKind.Relative), Bytes([], "image/jpeg"));
        Assert.Contains("The request body is empty", await AssertBadRequest(empty), StringComparison.Ordinal);
        using var corrupt = await host.Client.PostAsync(new Uri("/features", UriKind.Relative), Bytes(picture[..200], "image/png"));
        Assert.Contains("image", await AssertBadRequest(corrupt), StringComparison.Ordinal);
        using var hugePixels = await host.Client.PostAsync(new Uri("/features", UriKind.Relative), Bytes(HugeBmpHeader(), "image/bmp"));
        Assert.Contains("5000×5000 pixels; the service takes at most", await AssertBadRequest(hugePixels), StringComparison.Ordinal);
        using var hugeBody = await host.Client.PostAsync(new Uri("/features", UriKind.Relative), Bytes(new byte[9 << 20], "image/jpeg"));
        Assert.Contains("bytes; the service takes at most 8388608 bytes", await AssertBadRequest(hugeBody), StringComparison.Ordinal);
        using var badK = await host.Client.PostAsync(new Uri("/features?k=0", UriKind.Relative), Bytes(picture, "image/png"));
        Assert.Contains("k must be between 1 and 512", await AssertBadRequest(badK), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_embeddings_server_is_ready_only_after_warmup_embeds_text_with_the_real_tokenizer_and_refuses_bad_text()
    {
        await using var host = await StartWarmAsync("samples/TextEmbeddings/Model", "samples/TextEmbeddings/Server", "TextEmbeddings.Server.dll",
            "all_minilm_l6_v2");

        // A real request: three sentences → unit vectors of 384; the two about a cat are the closest pair.
        using var response = await host.Client.PostAsJsonAsync(new Uri("/embed", UriKind.Relative),
            new { texts = new[] { "A cat sits on a mat.", "The cat sat on the mat.", "Stock markets fell sharply today." } });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using var json = JsonDocument.Parse(body);
        // BERT's tokens of "a cat sits on a mat." are [CLS] a cat sits on a mat . [SEP]: 9 with the vocab the package ships.
        Assert.Equal(9, json.RootElement.GetProperty("tokens")[0].GetInt32());
        var vectors = json.RootElement.GetProperty("embeddings").EnumerateArray().Select(v => v.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        Assert.All(vectors, v => Assert.Equal(384, v.Length));
        Assert.All(vectors, v => Assert.InRange(v.Sum(x => x * x), 0.999f, 1.001f));
        static float Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();
        var cats = Cosine(vectors[0], vectors[1]);
        var unrelated = Cosine(vectors[0], vectors[2]);
        Assert.True(cats > 0.7f && unrelated < 0.3f, $"cat/cat {cats}, cat/markets {unrelated}");

        // Bad input: 400 with a message that says what is wrong.
        async Task<string> Refused(string json)
        {
            using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            using var refused = await host.Client.PostAsync(new Uri("/embed", UriKind.Relative), content);
            return await AssertBadRequest(refused);
        }

        Assert.Contains("texts[0] is empty", await Refused("{\"texts\": [\"\"]}"), StringComparison.Ordinal);
        Assert.Contains("texts[1] is empty", await Refused("{\"texts\": [\"fine\", \"   \"]}"), StringComparison.Ordinal);
        Assert.Contains("texts is missing or empty", await Refused("{}"), StringComparison.Ordinal);
        Assert.Contains("is not {\"texts\"", await Refused("not json"), StringComparison.Ordinal);
        Assert.Contains("at most 8 per request", await Refused(JsonSerializer.Serialize(new { texts = Enumerable.Repeat("hi", 9) })), StringComparison.Ordinal);
        Assert.Contains("tokens; all-MiniLM-L6-v2 takes at most 256", await Refused(JsonSerializer.Serialize(new { texts = new[] { string.Join(' ', Enumerable.Repeat("word", 300)) } })),
            StringComparison.Ordinal);
        Assert.Contains("characters; the service takes at most", await Refused(JsonSerializer.Serialize(new { texts = new[] { new string('a', 20_000) } })),
            StringComparison.Ordinal);
    }
}
