using System.Globalization;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Warmup.Build.Tasks;

/// <summary>Checks of <c>WarmupModel</c> item metadata shared by the tasks.</summary>
internal static class ModelItems
{
    /// <summary>TF Serving uses the model name as a directory name: it must be one plain path segment.</summary>
    public static bool IsValidName(string name) =>
        name.Length > 0 && name != "." && name != ".." && name.Trim() == name
        && name.IndexOfAny(['/', '\\', ':', '*', '?', '"', '<', '>', '|']) < 0 && !name.Any(char.IsControl);

    /// <summary>Whether the item's samples hand-declare the signature (<c>Signature="declared"</c>): no model file, no signature file.</summary>
    public static bool IsDeclared(ITaskItem model) =>
        string.Equals(model.GetMetadata("Signature"), "declared", StringComparison.OrdinalIgnoreCase);

    /// <summary>The <c>.warmup-signature</c> the host checks the item's records against; none for a hand-declared signature.</summary>
    public static string? SignatureFile(ITaskItem model) =>
        !IsDeclared(model) && model.GetMetadata("SignatureFile") is { Length: > 0 } path ? path : null;

    /// <summary>Parses the version: TF Serving versions are positive integers.</summary>
    public static bool TryParseVersion(string text, out long version) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out version) && version > 0;

    /// <summary>
    /// Where the item is written, for diagnostics about the item itself (WARMUPB016): the file that declared it
    /// (<c>DefiningProject</c> metadata) and the line of its <c>&lt;WarmupModel Include="…"&gt;</c>, else line 0.
    /// </summary>
    public static (string File, int Line) Location(ITaskItem model, string fallbackFile)
    {
        var file = model.GetMetadata("DefiningProject") is { Length: > 0 } defining ? defining : fallbackFile;
        var source = model.GetMetadata("Source");
        try
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                // IndexOf, not Contains: .NET Framework (the net472 build) has no Contains(string, StringComparison).
#pragma warning disable CA2249
                if (lines[i].IndexOf("<WarmupModel", StringComparison.Ordinal) >= 0
                    && (lines[i].IndexOf($"Include=\"{source}\"", StringComparison.Ordinal) >= 0 || lines[i].IndexOf($"Include='{source}'", StringComparison.Ordinal) >= 0))
#pragma warning restore CA2249
                {
                    return (file, i + 1);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // The location is a convenience: the message names the model either way.
        }

        return (file, 0);
    }

    /// <summary>Logs <c>WARMUPB007</c> for an invalid name or version.</summary>
    public static bool Validate(TaskLoggingHelper log, ITaskItem model, string source)
    {
        var name = model.GetMetadata("ModelName");
        var version = model.GetMetadata("ModelVersion");
        if (!IsValidName(name))
        {
            log.LogError(null, BuildCodes.InvalidModelItem, null, source, 0, 0, 0, 0,
                "WarmupModel '{0}' has an invalid Name '{1}': TF Serving uses it as a folder name, so it must be one path segment without / \\ : * ? \" < > |. Set Name=\"my_model\".",
                source, name);
            return false;
        }

        if (version.Length > 0 && !TryParseVersion(version, out _))
        {
            log.LogError(null, BuildCodes.InvalidModelItem, null, source, 0, 0, 0, 0,
                "WarmupModel '{0}' has an invalid Version '{1}': TF Serving versions are positive integers. Set Version=\"1\".", name, version);
            return false;
        }

        return true;
    }
}
