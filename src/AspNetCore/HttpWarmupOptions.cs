using System.Net.Http.Headers;
using System.Text;
using Warmup.Runtime.Hosting;

namespace Warmup.AspNetCore;

/// <summary>One request the HTTP warmup sends to the app's own endpoint.</summary>
public sealed class HttpWarmupRequest
{
    private HttpWarmupRequest(HttpMethod method, string path, byte[]? body, string? contentType)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!path.StartsWith('/'))
        {
            throw new ArgumentException($"The warmup request path \"{path}\" must start with '/'.", nameof(path));
        }

        Method = method;
        Path = path;
        Body = body;
        ContentType = contentType;
    }

    /// <summary>The HTTP method.</summary>
    public HttpMethod Method { get; }

    /// <summary>The path and query, starting with '/'.</summary>
    public string Path { get; }

    /// <summary>The request body, or null.</summary>
    public byte[]? Body { get; }

    /// <summary>The body's content type.</summary>
    public string? ContentType { get; }

    /// <summary>The status the endpoint must answer (null: any 2xx). See <see cref="Expecting"/>.</summary>
    public int? ExpectedStatus { get; private init; }

    /// <summary>This request, answered with <paramref name="status"/>: to warm an error path, e.g. a 400 for bad input.</summary>
    public HttpWarmupRequest Expecting(int status) => status is >= 100 and < 600
        ? new(Method, Path, Body, ContentType) { ExpectedStatus = status }
        : throw new ArgumentOutOfRangeException(nameof(status), status, "An HTTP status is between 100 and 599.");

    /// <summary>A GET of <paramref name="path"/>.</summary>
    public static HttpWarmupRequest Get(string path) => new(HttpMethod.Get, path, null, null);

    /// <summary>A POST of <paramref name="body"/> to <paramref name="path"/>.</summary>
    public static HttpWarmupRequest Post(string path, byte[] body, string contentType)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        return new(HttpMethod.Post, path, body, contentType);
    }

    /// <summary>A POST of a JSON document to <paramref name="path"/>.</summary>
    public static HttpWarmupRequest PostJson(string path, string json) => Post(path, Encoding.UTF8.GetBytes(json), "application/json");

    /// <inheritdoc />
    public override string ToString() => $"{Method} {Path}" + (Body is null ? string.Empty : $" ({Body.Length} bytes of {ContentType})");

    internal HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(Method, new Uri(Path, UriKind.Relative));
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(ContentType!);
        }

        return message;
    }
}

/// <summary>What <see cref="HttpWarmupServiceCollectionExtensions.AddHttpWarmup"/> sends before readiness flips.</summary>
public sealed class HttpWarmupOptions
{
    internal List<(string Model, Func<WarmupRequest, HttpWarmupRequest?> Derive)> Derived { get; } = [];

    /// <summary>Requests declared by the application, sent in order after the derived ones.</summary>
    public IList<HttpWarmupRequest> Requests { get; } = new List<HttpWarmupRequest>();

    /// <summary>
    /// Derives a request from every record of <paramref name="model"/>'s warmup file (decoded as
    /// <see cref="WarmupRequest"/>): e.g. an image of the record's size, text of the record's token count. Return null to
    /// skip a record.
    /// </summary>
    public HttpWarmupOptions FromRecords(string model, Func<WarmupRequest, HttpWarmupRequest?> derive)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentNullException.ThrowIfNull(derive);
        Derived.Add((model, derive));
        return this;
    }

    /// <summary>How many times each request is sent (default 2: the second meets the endpoint's caches filled).</summary>
    public int Iterations { get; set; } = 2;

    /// <summary>The longest wait for one response (default 30 s); a request that takes longer fails the warmup.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After the pass, before readiness flips (default true): one blocking full garbage collection, so the first client
    /// does not pay for collecting start-up garbage, then a wait until the JIT has compiled no new method for 100 ms
    /// (tier-up of start-up code in the background; at most <see cref="MaxSettleTime"/>).
    /// </summary>
    public bool Settle { get; set; } = true;

    /// <summary>The longest <see cref="Settle"/> waits for the JIT to go quiet (default 2 s).</summary>
    public TimeSpan MaxSettleTime { get; set; } = TimeSpan.FromSeconds(2);

    internal void Validate()
    {
        if (Iterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "HTTP warmup Iterations must be at least 1.");
        }

        if (MaxSettleTime < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSettleTime), MaxSettleTime, "HTTP warmup MaxSettleTime must not be negative.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "HTTP warmup RequestTimeout must be positive.");
        }
    }
}
