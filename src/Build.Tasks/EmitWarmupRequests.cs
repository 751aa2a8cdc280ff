using System.Diagnostics;
using System.Globalization;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Warmup.Build.Tasks;

/// <summary>
/// After compile: runs the out-of-process build host (<c>dotnet exec</c> with the project's deps.json and a runtimeconfig,
/// as EF Core's design-time tools do), which lays each model out in TF Serving's layout
/// (<c>&lt;out&gt;/&lt;name&gt;/&lt;version&gt;/</c>) and writes <c>assets.extra/tf_serving_warmup_requests</c> from the assembly's
/// generated manifest. User code never runs inside MSBuild. The host's protocol lines become MSBuild messages, warnings
/// and errors with WARMUPB codes.
/// </summary>
public sealed class EmitWarmupRequests : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly HostProcess _host = new();
    private int _modelsReported;
    private bool _noManifest;

    /// <summary>The models: item spec = the model's full path; metadata <c>ModelName</c>, <c>ModelVersion</c>, <c>Source</c>.</summary>
    [Required]
    public ITaskItem[] Models { get; set; } = [];

    /// <summary>The built assembly in the output directory (<c>$(TargetPath)</c>).</summary>
    [Required]
    public string AssemblyPath { get; set; } = string.Empty;

    /// <summary>The project's <c>.deps.json</c>.</summary>
    [Required]
    public string DepsFile { get; set; } = string.Empty;

    /// <summary>The project's <c>.runtimeconfig.json</c> (for a class library, the one the targets write under <c>obj/</c>).</summary>
    [Required]
    public string RuntimeConfigFile { get; set; } = string.Empty;

    /// <summary><c>Warmup.Build.Host.dll</c>.</summary>
    [Required]
    public string HostAssembly { get; set; } = string.Empty;

    /// <summary>The <c>dotnet</c> executable (<c>$(DOTNET_HOST_PATH)</c>); <c>dotnet</c> on PATH when empty.</summary>
    public string? DotNetHost { get; set; }

    /// <summary>NuGet package folders where the deps.json's packages are found (<c>--additionalprobingpath</c>).</summary>
    public string[] ProbingPaths { get; set; } = [];

    /// <summary>The artifacts root: models go to <c>&lt;OutputDirectory&gt;/&lt;name&gt;/&lt;version&gt;/</c>.</summary>
    [Required]
    public string OutputDirectory { get; set; } = string.Empty;

    /// <summary>Seconds after which the host is killed and the build fails with WARMUPB015.</summary>
    public int TimeoutSeconds { get; set; } = 120;

    /// <summary>Every file this task wrote or keeps in the layout (for <c>FileWrites</c> and clean).</summary>
    [Output]
    public ITaskItem[] FileWrites { get; set; } = [];

    /// <summary>The warmup files, with <c>ModelName</c> and <c>Records</c> metadata.</summary>
    [Output]
    public ITaskItem[] WarmupFiles { get; set; } = [];

    /// <inheritdoc />
    public void Cancel() => _host.Cancel();

    /// <inheritdoc />
    public override bool Execute()
    {
        var models = new List<(string Name, long Version, string? ModelPath, string? SignaturePath)>();
        foreach (var model in Models)
        {
            var source = model.GetMetadata("Source") is { Length: > 0 } given ? given : model.ItemSpec;
            if (!ModelItems.Validate(Log, model, source))
            {
                continue;
            }

            var version = ModelItems.TryParseVersion(model.GetMetadata("ModelVersion"), out var parsed) ? parsed : 1;
            // Signature="declared": the samples hand-declare the signature and there is no model file to lay out.
            // The host checks the model's records against the signature file the generator compiled them from.
            models.Add((model.GetMetadata("ModelName"), version, ModelItems.IsDeclared(model) ? null : model.ItemSpec, ModelItems.SignatureFile(model)));
        }

        if (Log.HasLoggedErrors)
        {
            return false;
        }

        var fileWrites = new List<ITaskItem>();
        var warmupFiles = new List<ITaskItem>();
        RunHost(models, fileWrites, warmupFiles);
        fileWrites.AddRange(warmupFiles.Select(f => new TaskItem(f.ItemSpec)));
        FileWrites = [.. fileWrites];
        WarmupFiles = [.. warmupFiles];
        return !Log.HasLoggedErrors;
    }

    private void RunHost(List<(string Name, long Version, string? ModelPath, string? SignaturePath)> models, List<ITaskItem> fileWrites, List<ITaskItem> warmupFiles)
    {
        var sawError = false;
        var exitCode = _host.Run(Log, CreateStartInfo(models), TimeoutSeconds, AssemblyPath, line => sawError |= Handle(line, fileWrites, warmupFiles));
        if (exitCode is not { } code || (code == 1 && sawError))
        {
            return;
        }

        var tail = _host.ErrorTail;
        if (code == 0 && !_noManifest && _modelsReported < models.Count)
        {
            // Every model ends in a written/unchanged file or a no-samples warning; anything else means the host
            // stopped early (for example a sample called Environment.Exit).
            Log.LogError(null, BuildCodes.HostFailed, null, AssemblyPath, 0, 0, 0, 0,
                "the Warmup build host exited after reporting {0} of {1} models; a sample may have ended the process (Environment.Exit). {2}",
                _modelsReported, models.Count, tail.Length > 0 ? "Its output: " + tail : string.Empty);
            return;
        }

        if (code != 0)
        {
            Log.LogError(null, BuildCodes.HostFailed, null, AssemblyPath, 0, 0, 0, 0,
                "the Warmup build host failed with exit code {0} while running the warmup samples of {1}. {2}",
                code, Path.GetFileName(AssemblyPath), tail.Length > 0 ? "Its output: " + tail : "It printed nothing.");
        }
    }

    internal ProcessStartInfo CreateStartInfo(List<(string Name, long Version, string? ModelPath, string? SignaturePath)> models)
    {
        var arguments = new List<string> { "exec", "--depsfile", DepsFile, "--runtimeconfig", RuntimeConfigFile };
        // net8.0 projects run on a newer runtime when 8 is not installed, as `dotnet ef` does.
        arguments.AddRange(["--roll-forward", "Major"]);
        foreach (var path in ProbingPaths.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.TrimEnd('/', '\\')).Distinct(StringComparer.Ordinal))
        {
            arguments.AddRange(["--additionalprobingpath", path]);
        }

        arguments.AddRange([HostAssembly, "--assembly", AssemblyPath, "--out", Path.GetFullPath(OutputDirectory)]);
        foreach (var (name, version, modelPath, signaturePath) in models)
        {
            arguments.AddRange(["--model", $"{name}/{version.ToString(CultureInfo.InvariantCulture)}"]);
            if (modelPath is not null)
            {
                arguments.AddRange(["--model-file", modelPath]);
            }

            if (signaturePath is not null)
            {
                arguments.AddRange(["--signature", signaturePath]);
            }
        }

        return HostProcess.CreateStartInfo(DotNetHost, arguments, Path.GetDirectoryName(Path.GetFullPath(AssemblyPath)));
    }

    /// <summary>Maps one protocol line to an MSBuild message or output. Returns whether it was an error.</summary>
    internal bool Handle(string line, List<ITaskItem> fileWrites, List<ITaskItem> warmupFiles)
    {
        if (!HostProtocol.TryParse(line, out var hostEvent))
        {
            Log.LogMessage(MessageImportance.Low, "Warmup host: {0}", line);
            return false;
        }

        switch (hostEvent!.Kind)
        {
            case HostEventKind.Error or HostEventKind.Info:
                HostProcess.LogDiagnostic(Log, hostEvent, hostEvent.File ?? AssemblyPath, hostEvent.Line);
                return hostEvent.Kind == HostEventKind.Error;
            case HostEventKind.Warning:
                _modelsReported += hostEvent.Code == BuildCodes.NoSamples ? 1 : 0;
                _noManifest |= hostEvent.Code == BuildCodes.NoManifest;
                var (file, fileLine) = hostEvent.Code == BuildCodes.NoSamples && ModelOf(hostEvent.Message) is { } item
                    ? ModelItems.Location(item, BuildEngine?.ProjectFileOfTaskNode ?? AssemblyPath)
                    : (hostEvent.File ?? AssemblyPath, hostEvent.Line);
                HostProcess.LogDiagnostic(Log, hostEvent, file, fileLine);
                return false;
            case HostEventKind.LaidOut:
                fileWrites.Add(new TaskItem(hostEvent.Path));
                return false;
            case HostEventKind.Wrote or HostEventKind.Unchanged:
                _modelsReported++;
                var changed = hostEvent.Kind == HostEventKind.Wrote;
                Log.LogMessage(changed ? MessageImportance.High : MessageImportance.Normal, "Warmup: {0} {1} records for model '{2}' -> {3}",
                    changed ? "wrote" : "kept (unchanged)", hostEvent.Records, hostEvent.Model, hostEvent.Path);
                warmupFiles.Add(new TaskItem(hostEvent.Path, new Dictionary<string, string>
                {
                    ["ModelName"] = hostEvent.Model!,
                    ["Records"] = hostEvent.Records.ToString(CultureInfo.InvariantCulture),
                    ["Changed"] = changed ? "true" : "false",
                }));
                return false;
            default:
                Log.LogMessage(MessageImportance.Low, "Warmup host: {0}", line);
                return false;
        }
    }

    /// <summary>The model item a host message names (<c>model 'name' …</c>, the host's wording for per-model events).</summary>
    private ITaskItem? ModelOf(string message) =>
        Models.FirstOrDefault(m => message.StartsWith($"model '{m.GetMetadata("ModelName")}'", StringComparison.Ordinal));
}
