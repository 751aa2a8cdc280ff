using Microsoft.Extensions.Configuration;

/// <summary>
/// The sample servers' <c>--warmup</c> switch: what is warm before <c>/health/ready</c> says Healthy (the HTTP benchmark
/// starts each server in each condition). <c>none</c>: the warmup file is read, nothing runs; <c>model</c>: the file
/// is replayed on the session; <c>path</c> (default): also every record through the app's inference method
/// (RequestPathWarmup), then requests through its own endpoints over loopback (Warmup.AspNetCore).
/// </summary>
internal static class WarmupCondition
{
    /// <summary>The condition, or null after printing why the value is wrong.</summary>
    public static string? Read(IConfiguration configuration)
    {
        var warmup = configuration["warmup"] ?? "path";
        if (warmup is "none" or "model" or "path")
        {
            return warmup;
        }

        Console.Error.WriteLine($"error: --warmup must be none, model or path, not \"{warmup}\".");
        return null;
    }
}
