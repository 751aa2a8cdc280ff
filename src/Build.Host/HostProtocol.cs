// The line protocol between the build host (writer) and the EmitWarmupRequests task (reader), docs/contracts.md §3.
// Compiled into both assemblies, so the two sides cannot drift apart.
using System.Globalization;

// The tasks' net472 build compiles this file too: it has neither the span overloads nor Contains(char).
#pragma warning disable CA1846, CA1865, CA1866, CA2249

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
    /// <summary>A <c>.warmup-signature</c> file, written or already up to date (<see cref="HostEvent.Changed"/>).</summary>
    Signature,
    /// <summary>A file of a model's TF Serving layout (a <c>FileWrites</c> item).</summary>
    LaidOut,
}

/// <summary>One parsed protocol line.</summary>
internal sealed record HostEvent(HostEventKind Kind, string Code, string Message, string? File = null, int Line = 0,
    string? Model = null, int Records = 0, string? Path = null, bool Changed = false);

/// <summary>
/// Formats and parses protocol lines: <c>warmup:info|warning|error CODE [at=FILE:LINE] message</c>,
/// <c>warmup:wrote|unchanged MODEL RECORDS PATH</c>, <c>warmup:signature wrote|unchanged MODEL PATH</c>,
/// <c>warmup:file MODEL PATH</c>. FILE and MODEL are URI-escaped so spaces never split fields. The reader also runs in
/// .NET Framework MSBuild (the tasks' net472 build), so this file keeps to APIs both frameworks have.
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

    public static string Signature(bool changed, string model, string path) =>
        $"{Prefix}signature {(changed ? "wrote" : "unchanged")} {Uri.EscapeDataString(model)} {path}";

    public static string LaidOut(string model, string path) => $"{Prefix}file {Uri.EscapeDataString(model)} {path}";

    public static bool TryParse(string line, out HostEvent? hostEvent)
    {
        hostEvent = null;
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var fields = line.Substring(Prefix.Length).Split([' '], 4);
        switch (fields[0])
        {
            case "info" or "warning" or "error" when fields.Length >= 3:
                var kind = fields[0] == "info" ? HostEventKind.Info : fields[0] == "warning" ? HostEventKind.Warning : HostEventKind.Error;
                var rest = fields.Length == 4 ? fields[2] + " " + fields[3] : fields[2];
                string? file = null;
                var lineNumber = 0;
                if (rest.StartsWith(AtPrefix, StringComparison.Ordinal) && rest.IndexOf(' ') is > 0 and var space)
                {
                    var location = rest.Substring(AtPrefix.Length, space - AtPrefix.Length);
                    var colon = location.LastIndexOf(':');
                    if (colon > 0 && int.TryParse(location.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out lineNumber))
                    {
                        file = Uri.UnescapeDataString(location.Substring(0, colon));
                        rest = rest.Substring(space + 1);
                    }
                }

                hostEvent = new HostEvent(kind, fields[1], rest, file, lineNumber);
                return true;
            case "wrote" or "unchanged" when fields.Length == 4
                && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var records):
                hostEvent = new HostEvent(fields[0] == "wrote" ? HostEventKind.Wrote : HostEventKind.Unchanged, string.Empty, string.Empty,
                    Model: Uri.UnescapeDataString(fields[1]), Records: records, Path: fields[3]);
                return true;
            case "signature" when fields.Length == 4 && fields[1] is "wrote" or "unchanged":
                hostEvent = new HostEvent(HostEventKind.Signature, string.Empty, string.Empty,
                    Model: Uri.UnescapeDataString(fields[2]), Path: fields[3], Changed: fields[1] == "wrote");
                return true;
            case "file" when fields.Length >= 3:
                // The path is the rest of the line: it may hold spaces.
                hostEvent = new HostEvent(HostEventKind.LaidOut, string.Empty, string.Empty,
                    Model: Uri.UnescapeDataString(fields[1]), Path: fields.Length == 4 ? fields[2] + " " + fields[3] : fields[2]);
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

    // One event per line: fold any newline in an exception message (the line breaks string.ReplaceLineEndings knows).
    private static string OneLine(string message) => message.Replace("\r\n", " ").Replace('\r', ' ').Replace('\n', ' ')
        .Replace('\f', ' ').Replace('\u0085', ' ').Replace('\u2028', ' ').Replace('\u2029', ' ');
}
