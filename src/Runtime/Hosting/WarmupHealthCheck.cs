using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Warmup.Runtime.Hosting;

/// <summary>
/// Readiness: Unhealthy until the model(s) are warm, Unhealthy with the failure when loading or warmup failed,
/// Degraded when warm but some records failed under <see cref="WarmupFailurePolicy.LogAndContinue"/>, Healthy otherwise.
/// </summary>
public sealed class WarmupHealthCheck : IHealthCheck
{
    internal const string WarmingUpPrefix = "Warming up: ";
    internal const string RecordsKey = ".records";
    internal const string FailedRecordsKey = ".failedRecords";
    internal const string ElapsedMsKey = ".elapsedMs";
    internal const string FailureKey = ".failure";

    private readonly WarmedOnnxModels _models;
    private readonly string? _modelName;

    /// <summary>Checks <paramref name="modelName"/>, or every registered model when null.</summary>
    public WarmupHealthCheck(WarmedOnnxModels models, string? modelName = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        _models = models;
        _modelName = modelName;
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var models = _modelName is null ? _models.ToArray() : [_models[_modelName]];
        // Each model's state is read once, before its report: a model that turns ready during the check must not be
        // answered Healthy with data that still says Warming (the report is set before the state becomes Ready).
        var states = models.ToDictionary(m => m, m => m.State);
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var model in models)
        {
            data[model.Name] = states[model].ToString();
            if (model.Report is { } report)
            {
                data[model.Name + RecordsKey] = report.Summary.Records;
                data[model.Name + FailedRecordsKey] = report.Summary.Failed;
                data[model.Name + ElapsedMsKey] = report.Summary.ElapsedMs;
            }

            if (model.Failure is { } failure)
            {
                data[model.Name + FailureKey] = failure.Message;
            }

            if (model.GetCoverage() is { } coverage)
            {
                data[model.Name + ".coveredFraction"] = coverage.CoveredFraction;
                data[model.Name + ".uncoveredRequests"] = coverage.UncoveredRequests;
            }
        }

        if (models.FirstOrDefault(m => states[m] == WarmedModelState.Failed) is { } failed)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"Model {failed.Name} failed to load or warm up: {failed.Failure?.Message}", failed.Failure, data));
        }

        var notReady = models.Where(m => states[m] != WarmedModelState.Ready).Select(m => $"{m.Name} ({states[m]})").ToArray();
        if (notReady.Length > 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"{WarmingUpPrefix}{string.Join(", ", notReady)}.", data: data));
        }

        var withFailures = models.Where(m => m.Report?.Summary.Failed > 0).Select(m => $"{m.Name} ({m.Report!.Summary.Failed} failed record(s))").ToArray();
        return Task.FromResult(withFailures.Length > 0
            ? HealthCheckResult.Degraded($"Warm, but warmup records failed: {string.Join(", ", withFailures)}.", data: data)
            : HealthCheckResult.Healthy("Every model is warm.", data));
    }

    /// <summary>The model names in a Warmup check's data: the keys without a per-model suffix.</summary>
    internal static IEnumerable<string> ModelNames(IReadOnlyDictionary<string, object> data) =>
        data.Keys.Where(key => !Suffixes.Any(suffix => key.EndsWith(suffix, StringComparison.Ordinal) && data.ContainsKey(key[..^suffix.Length])));

    private static readonly string[] Suffixes = [RecordsKey, FailedRecordsKey, ElapsedMsKey, FailureKey];
}
