// The line protocol between the build host (writer) and the EmitWarmupRequests task (reader), docs/contracts.md §3.
// Compiled into both assemblies, so the two sides cannot drift apart.
using System.Globalization;

namespace Warmup.Build;

/// <summary>The diagnostic codes of the Warmup build (documented in docs/diagnostics.md).</summary>
internal static class BuildCodes
{
    public const string ModelNotFound = "WARMUPB001";
    public const string ModelUnreadable = "WARMUPB002";
    public const string UnsupportedModel = "WARMUPB003";
    public const string UnsupportedDType = "WARMUPB004";
    public const string NoServeMetaGraph = "WARMUPB005";
    public const string SignatureLeftOut = "WARMUPB006";
    public const string InvalidModelItem = "WARMUPB007";
    public const string DuplicateModel = "WARMUPB008";
    public const string SignatureNotWritable = "WARMUPB009";
    public const string SampleThrew = "WARMUPB010";
    public const string TooManyRecords = "WARMUPB011";
    public const string InvalidRecord = "WARMUPB012";
    public const string OutputNotWritable = "WARMUPB013";
    public const string HostFailed = "WARMUPB014";
    public const string HostTimeout = "WARMUPB015";
    public const string NoSamples = "WARMUPB016";
    public const string UnknownModel = "WARMUPB017";
    public const string NoManifest = "WARMUPB018";
    public const string NothingToPack = "WARMUPB019"; // raised by Warmup.targets
    public const string SignatureMismatch = "WARMUPB021";

}

/// <summary>What a protocol line reports.</summary>
internal enum HostEventKind
{
    Info,
    Warning,
    Error,
    Wrote,
    Unchanged,
}

/// <summary>One parsed protocol line.</summary>
internal sealed record HostEvent(HostEventKind Kind, string Code, string Message, string? File = null, int Line = 0,
    string? Model = null, int Records = 0, string? Path = null);

/// <summary>
/// Formats and parses protocol lines: <c>warmup:info|warning|error CODE [at=FILE:LINE] message</c>,
/// <c>warmup:wrote|unchanged MODEL RECORDS PATH</c>. FILE and MODEL are URI-escaped so spaces never split fields.
/// </summary>
internal static class HostProtocol
{
    public const string Prefix = "warmup:";

    /// <summary>The code field of informational lines, which carry no diagnostic code.</summary>
    public const string InfoCode = "-";
    private const string AtPrefix = "at=";

    public static string Diagnostic(HostEventKind kind, string code, string message, string? file = null, int line = 0)
    {
        var location = file is null ? string.Empty : $"{AtPrefix}{Uri.EscapeDataString(file)}:{line.ToString(CultureInfo.InvariantCulture)} ";
        return $"{Prefix}{KindName(kind)} {code} {location}{OneLine(message)}";
    }

    public static string Written(bool changed, string model, int records, string path) =>
        $"{Prefix}{(changed ? "wrote" : "unchanged")} {Uri.EscapeDataString(model)} {records.ToString(CultureInfo.InvariantCulture)} {path}";

    public static bool TryParse(string line, out HostEvent? hostEvent)
    {
        hostEvent = null;
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var fields = line[Prefix.Length..].Split(' ', 4);
        switch (fields[0])
        {
            case "info" or "warning" or "error" when fields.Length >= 3:
                var kind = fields[0] == "info" ? HostEventKind.Info : fields[0] == "warning" ? HostEventKind.Warning : HostEventKind.Error;
                var rest = fields.Length == 4 ? fields[2] + " " + fields[3] : fields[2];
                string? file = null;
                var lineNumber = 0;
                if (rest.StartsWith(AtPrefix, StringComparison.Ordinal) && rest.IndexOf(' ', StringComparison.Ordinal) is > 0 and var space)
                {
                    var location = rest[AtPrefix.Length..space];
                    var colon = location.LastIndexOf(':');
                    if (colon > 0 && int.TryParse(location[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out lineNumber))
                    {
                        file = Uri.UnescapeDataString(location[..colon]);
                        rest = rest[(space + 1)..];
                    }
                }

                hostEvent = new HostEvent(kind, fields[1], rest, file, lineNumber);
                return true;
            case "wrote" or "unchanged" when fields.Length == 4
                && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var records):
                hostEvent = new HostEvent(fields[0] == "wrote" ? HostEventKind.Wrote : HostEventKind.Unchanged, string.Empty, string.Empty,
                    Model: Uri.UnescapeDataString(fields[1]), Records: records, Path: fields[3]);
                return true;
            default:
                return false;
        }
    }

    private static string KindName(HostEventKind kind) => kind switch
    {
        HostEventKind.Info => "info",
        HostEventKind.Warning => "warning",
        _ => "error",
    };

    // One event per line: fold any newline in an exception message.
    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
