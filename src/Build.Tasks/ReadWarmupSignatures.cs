using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Warmup.Build.Tasks;

/// <summary>
/// Before compile: has the build host read each <c>WarmupModel</c>'s signature (protobuf only, no native code, no user
/// code) and write its <c>.warmup-signature</c> file (docs/contracts.md §1), rewriting it only when its content changes so
/// the compiler and the generator see no change when nothing changed.
/// </summary>
public sealed class ReadWarmupSignatures : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly HostProcess _host = new();

    /// <summary>
    /// The models. Item spec: the model's full path. Metadata: <c>ModelName</c>, <c>ModelVersion</c>, <c>Source</c> (the path
    /// as written in the project) and <c>SignatureFile</c> (where to write).
    /// </summary>
    [Required]
    public ITaskItem[] Models { get; set; } = [];

    /// <summary><c>Warmup.Build.Host.dll</c>, which reads the models.</summary>
    [Required]
    public string HostAssembly { get; set; } = string.Empty;

    /// <summary>The <c>dotnet</c> executable (<c>$(DOTNET_HOST_PATH)</c>); <c>dotnet</c> on PATH when empty.</summary>
    public string? DotNetHost { get; set; }

    /// <summary>Seconds after which the host is killed and the build fails with WARMUPB015.</summary>
    public int TimeoutSeconds { get; set; } = 120;

    /// <summary>The signature files, written or already up to date.</summary>
    [Output]
    public ITaskItem[] SignatureFiles { get; set; } = [];

    /// <summary>Whether any signature file was (re)written in this run.</summary>
    [Output]
    public bool Changed { get; set; }

    /// <inheritdoc />
    public void Cancel() => _host.Cancel();

    /// <inheritdoc />
    public override bool Execute()
    {
        var arguments = new List<string> { "exec", HostAssembly, "signatures" };
        var requested = 0;
        foreach (var model in Models)
        {
            var name = model.GetMetadata("ModelName");
            var source = model.GetMetadata("Source") is { Length: > 0 } given ? given : model.ItemSpec;
            var signaturePath = model.GetMetadata("SignatureFile");
            if (!ModelItems.Validate(Log, model, source))
            {
                continue;
            }

            if (signaturePath.Length == 0)
            {
                Log.LogError(null, BuildCodes.InvalidModelItem, null, source, 0, 0, 0, 0,
                    "WarmupModel '{0}' has no SignatureFile metadata; the Warmup targets set it. Do not call ReadWarmupSignatures directly without it.", name);
                continue;
            }

            arguments.AddRange(["--signature", model.ItemSpec, name, source, signaturePath]);
            requested++;
        }

        if (requested == 0)
        {
            return !Log.HasLoggedErrors;
        }

        var written = new List<ITaskItem>();
        var sawError = false;
        var errorFile = BuildEngine?.ProjectFileOfTaskNode ?? HostAssembly;
        var exitCode = _host.Run(Log, HostProcess.CreateStartInfo(DotNetHost, arguments, null), TimeoutSeconds, errorFile, line =>
        {
            if (!HostProtocol.TryParse(line, out var hostEvent))
            {
                Log.LogMessage(MessageImportance.Low, "Warmup host: {0}", line);
            }
            else if (hostEvent!.Kind == HostEventKind.Signature)
            {
                Changed |= hostEvent.Changed;
                Log.LogMessage(MessageImportance.Low, hostEvent.Changed ? "Warmup: wrote the signature of model '{0}' to {1}." : "Warmup: the signature of model '{0}' is unchanged ({1}).",
                    hostEvent.Model, hostEvent.Path);
                written.Add(new TaskItem(hostEvent.Path, new Dictionary<string, string> { ["ModelName"] = hostEvent.Model! }));
            }
            else
            {
                sawError |= hostEvent.Kind == HostEventKind.Error;
                HostProcess.LogDiagnostic(Log, hostEvent, hostEvent.File ?? errorFile, hostEvent.Line);
            }
        });

        SignatureFiles = [.. written];
        if (exitCode is { } code && !(code == 1 && sawError) && (code != 0 || written.Count < requested))
        {
            Log.LogError(null, BuildCodes.HostFailed, null, errorFile, 0, 0, 0, 0,
                "the Warmup build host failed with exit code {0} while reading the model signatures ({1} of {2} read). {3}",
                code, written.Count, requested, _host.ErrorTail.Length > 0 ? "Its output: " + _host.ErrorTail : "It printed nothing.");
        }

        return !Log.HasLoggedErrors;
    }
}
