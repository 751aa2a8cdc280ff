using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Warmup.Runtime.Hosting;

/// <summary>
/// Writes a readiness <see cref="HealthReport"/> as JSON: the overall status, and per Warmup check each model's state,
/// records, failed records, warmup time and failure. Use it as ASP.NET Core's health-check response writer:
/// <code>
/// app.MapHealthChecks("/health/ready", new HealthCheckOptions
/// {
///     Predicate = check => check.Tags.Contains("ready"),
///     ResponseWriter = (context, report) =>
///     {
///         context.Response.ContentType = WarmupHealthReportJson.ContentType;
///         return WarmupHealthReportJson.WriteAsync(context.Response.Body, report, context.RequestAborted);
///     },
/// });
/// </code>
/// It depends on no web framework: it writes to any stream.
/// </summary>
public static class WarmupHealthReportJson
{
    /// <summary>The content type the JSON is written with.</summary>
    public const string ContentType = "application/json; charset=utf-8";

    /// <summary>Writes <paramref name="report"/> as JSON to <paramref name="stream"/>.</summary>
    public static async Task WriteAsync(Stream stream, HealthReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(report);
        await using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteNumber("totalMs", Math.Round(report.TotalDuration.TotalMilliseconds, 1));
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("description", entry.Description);
            var models = WarmupHealthCheck.ModelNames(entry.Data).ToList();
            if (models.Count > 0)
            {
                json.WriteStartObject("models");
                foreach (var model in models)
                {
                    json.WriteStartObject(model);
                    json.WriteString("state", entry.Data[model]?.ToString());
                    WriteValue(json, "records", entry.Data, model + WarmupHealthCheck.RecordsKey);
                    WriteValue(json, "failedRecords", entry.Data, model + WarmupHealthCheck.FailedRecordsKey);
                    WriteValue(json, "elapsedMs", entry.Data, model + WarmupHealthCheck.ElapsedMsKey);
                    WriteValue(json, "failure", entry.Data, model + WarmupHealthCheck.FailureKey);
                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void WriteValue(Utf8JsonWriter json, string property, IReadOnlyDictionary<string, object> data, string key)
    {
        switch (data.TryGetValue(key, out var value) ? value : null)
        {
            case null:
                json.WriteNull(property);
                break;
            case int number:
                json.WriteNumber(property, number);
                break;
            case long number:
                json.WriteNumber(property, number);
                break;
            case double number:
                json.WriteNumber(property, Math.Round(number, 1));
                break;
            case var other:
                json.WriteString(property, other.ToString());
                break;
        }
    }
}
