using System.CommandLine;
using Warmup.Format.Tensors;

namespace Warmup.Cli;

/// <summary>Options shared by several commands, with their ranges checked at parse time (usage error, exit 2, before any work).</summary>
internal static class CliOptions
{
    /// <summary>Largest <c>--max-record-mib</c>: 1 TiB.</summary>
    public const int MaxRecordMibLimit = 1 << 20;

    /// <summary>An integer option accepted only within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min, int max)
    {
        var option = new Option<int>(name) { Description = $"{description} ({min} to {max}).", DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            int value;
            try
            {
                value = result.GetValueOrDefault<int>();
            }
            catch (InvalidOperationException)
            {
                // Not an int at all (e.g. 99999999999): the parser reports that itself, as a usage error.
                return;
            }

            if (value < min || value > max)
            {
                result.AddError($"{name} must be between {min} and {max}, not {value}.");
            }
        });
        return option;
    }

    /// <summary><c>--max-record-mib</c>: the per-record budget for expanded tensors (<see cref="TensorLimits.MaxRecordBytes"/>).</summary>
    public static Option<int> MaxRecordMib() => Int("--max-record-mib",
        "Per-record budget in MiB for the expanded size of all its tensors (TF's fill rule applied, strings at their in-memory cost); larger records are refused before anything is allocated",
        (int)(TensorLimits.DefaultMaxRecordBytes >> 20), 1, MaxRecordMibLimit);

    /// <summary>The tensor limits for a <c>--max-record-mib</c> value.</summary>
    public static TensorLimits Limits(int maxRecordMib) => new() { MaxRecordBytes = (long)maxRecordMib << 20 };
}
