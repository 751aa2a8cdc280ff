using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Warmup.Format;
using Warmup.Format.Signatures;

namespace Warmup.Build.Tasks;

/// <summary>
/// After compile: lays each model out in TF Serving's layout (<c>&lt;out&gt;/&lt;name&gt;/&lt;version&gt;/</c>) and runs the
/// out-of-process build host (<c>dotnet exec</c> with the project's deps.json and a runtimeconfig, as EF Core's design-time
/// tools do) to write <c>assets.extra/tf_serving_warmup_requests</c> from the assembly's generated manifest. User code never
/// runs inside MSBuild. The host's protocol lines become MSBuild messages, warnings and errors with WARMUPB codes.
/// </summary>
public sealed class EmitWarmupRequests : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly object _gate = new();
    private Process? _host;
    private bool _canceled;
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

    /// <summary>The project's <c>.runtimeconfig.json</c>; class libraries have none and get one in <see cref="IntermediateDirectory"/>.</summary>
    public string? RuntimeConfigFile { get; set; }

    /// <summary>The project's <c>$(TargetFrameworkVersion)</c> (e.g. <c>v8.0</c>), for a class library's runtimeconfig.</summary>
    public string TargetFrameworkVersion { get; set; } = "v8.0";

    /// <summary><c>Warmup.Build.Host.dll</c>.</summary>
    [Required]
    public string HostAssembly { get; set; } = string.Empty;

    /// <summary>The <c>dotnet</c> executable (<c>$(DOTNET_HOST_PATH)</c>); <c>dotnet</c> on PATH when empty.</summary>
    public string? DotNetHost { get; set; }

    /// <summary>NuGet package folders where the deps.json's packages are found (<c>--additionalprobingpath</c>).</summary>
    public string[] ProbingPaths { get; set; } = [];

    /// <summary>A folder under <c>obj/</c> for generated files.</summary>
    [Required]
    public string IntermediateDirectory { get; set; } = string.Empty;

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
    public void Cancel()
    {
        lock (_gate)
        {
            _canceled = true;
            Kill(_host);
        }
    }

    /// <inheritdoc />
    public override bool Execute()
    {
        var fileWrites = new List<ITaskItem>();
        var models = new List<(ITaskItem Item, string Name, long Version)>();
        foreach (var model in Models)
        {
            var source = model.GetMetadata("Source") is { Length: > 0 } given ? given : model.ItemSpec;
            if (!ModelItems.Validate(Log, model, source))
            {
                continue;
            }

            var name = model.GetMetadata("ModelName");
            var version = ModelItems.TryParseVersion(model.GetMetadata("ModelVersion"), out var parsed) ? parsed : 1;
            // Signature="declared": the samples hand-declare the signature and there is no model file to lay out.
            if (LayOutModel(ModelItems.IsDeclared(model) ? null : model.ItemSpec, name, version, fileWrites))
            {
                models.Add((model, name, version));
            }
        }

        if (Log.HasLoggedErrors)
        {
            FileWrites = [.. fileWrites];
            return false;
        }

        var warmupFiles = new List<ITaskItem>();
        RunHost(models.Select(m => (m.Name, m.Version)).ToList(), warmupFiles);
        fileWrites.AddRange(warmupFiles.Select(f => new TaskItem(f.ItemSpec)));
        FileWrites = [.. fileWrites];
        WarmupFiles = [.. warmupFiles];
        return !Log.HasLoggedErrors;
    }

    /// <summary>
    /// Copies the model into <c>&lt;out&gt;/&lt;name&gt;/&lt;version&gt;/</c> (the .onnx file, or the SavedModel's files), copying only
    /// files that changed and deleting files an earlier build left there, so the folder mirrors the model. A null
    /// <paramref name="modelPath"/> (a hand-declared model without a file) lays out the warmup file alone.
    /// </summary>
    internal bool LayOutModel(string? modelPath, string name, long version, List<ITaskItem> fileWrites)
    {
        var versionDirectory = Path.Combine(Path.GetFullPath(OutputDirectory), name, version.ToString(CultureInfo.InvariantCulture));
        var warmupPath = Path.Combine(versionDirectory, TfServing.RelativeWarmupPath);
        var files = new List<(string Source, string Relative)>();
        if (modelPath is not null && !CollectModelFiles(modelPath, name, files))
        {
            return false;
        }

        try
        {
            var expected = new HashSet<string>(StringComparer.Ordinal) { warmupPath };
            foreach (var (source, relative) in files)
            {
                var target = Path.Combine(versionDirectory, relative);
                expected.Add(target);
                CopyIfChanged(source, target);
                fileWrites.Add(new TaskItem(target));
            }

            if (Directory.Exists(versionDirectory))
            {
                foreach (var stale in Directory.EnumerateFiles(versionDirectory, "*", SearchOption.AllDirectories).Where(f => !expected.Contains(f)).ToList())
                {
                    File.Delete(stale);
                    Log.LogMessage(MessageImportance.Low, "Warmup: deleted {0}, which is no longer part of model '{1}'.", stale, name);
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.LogError(null, BuildCodes.OutputNotWritable, null, versionDirectory, 0, 0, 0, 0,
                "cannot lay out model '{0}' in {1} ({2}). Check that the folder is writable, or set WarmupOutputDirectory.", name, versionDirectory, ex.Message);
            return false;
        }
    }

    /// <summary>The files of the model to lay out: the .onnx file, or every file of the SavedModel but its warmup file.</summary>
    private bool CollectModelFiles(string modelPath, string name, List<(string Source, string Relative)> files)
    {
        switch (File.Exists(modelPath) || Directory.Exists(modelPath) ? ModelSignatureReader.DetectFormat(modelPath) : (ModelFormat?)null)
        {
            case null:
                Log.LogError(null, BuildCodes.ModelNotFound, null, modelPath, 0, 0, 0, 0,
                    "WarmupModel '{0}': the model does not exist. Check the WarmupModel item's path (an .onnx file or a SavedModel directory).", name);
                return false;
            case ModelFormat.Onnx:
                files.Add((modelPath, Path.GetFileName(modelPath)));
                break;
            case ModelFormat.SavedModel:
                var root = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
                foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    var relative = Path.GetRelativePath(root, file);
                    // The model's own warmup file is replaced by the one the samples produce.
                    if (!string.Equals(relative, TfServing.RelativeWarmupPath, StringComparison.Ordinal))
                    {
                        files.Add((file, relative));
                    }
                }

                break;
            default:
                Log.LogError(null, BuildCodes.UnsupportedModel, null, modelPath, 0, 0, 0, 0,
                    "WarmupModel '{0}': not a model Warmup reads: expected an .onnx file or a SavedModel directory containing saved_model.pb.", name);
                return false;
        }

        return true;
    }

    private static void CopyIfChanged(string source, string target)
    {
        var from = new FileInfo(source);
        var to = new FileInfo(target);
        if (to.Exists && to.Length == from.Length && to.LastWriteTimeUtc == from.LastWriteTimeUtc)
        {
            return;
        }

        using (var input = SafeFile.OpenRead(source, "the model file", 1 << 16))
        {
            // Same timestamp as the source: the next build sees the copy as current.
            SafeFile.WriteAtomic(target, input.CopyTo, new AtomicWriteOptions { PreserveUnchanged = false, LastWriteTimeUtc = from.LastWriteTimeUtc });
        }
    }

    private void RunHost(List<(string Name, long Version)> models, List<ITaskItem> warmupFiles)
    {
        var startInfo = CreateStartInfo(models);
        Log.LogMessage(MessageImportance.Low, "Warmup: {0} {1}", startInfo.FileName, string.Join(" ", startInfo.ArgumentList.Select(Quote)));
        var stderr = new Queue<string>();
        var sawError = false;
        var timedOut = false;
        var stopwatch = Stopwatch.StartNew();
        Process process;
        try
        {
            lock (_gate)
            {
                if (_canceled)
                {
                    return;
                }

                process = Process.Start(startInfo) ?? throw new InvalidOperationException("Process.Start returned no process.");
                _host = process;
            }
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            Log.LogError(null, BuildCodes.HostFailed, null, AssemblyPath, 0, 0, 0, 0,
                "cannot start the Warmup build host ({0} {1}): {2}. Check that the .NET SDK's dotnet is available.", startInfo.FileName, HostAssembly, ex.Message);
            return;
        }

        using (process)
        using (var timer = new Timer(_ => { timedOut = true; Kill(process); }, null, TimeSpan.FromSeconds(Math.Max(1, TimeoutSeconds)), Timeout.InfiniteTimeSpan))
        {
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (stderr)
                {
                    stderr.Enqueue(e.Data);
                    if (stderr.Count > 40)
                    {
                        stderr.Dequeue();
                    }
                }
            };
            process.BeginErrorReadLine();
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                sawError |= Handle(line, warmupFiles);
            }

            process.WaitForExit();
            lock (_gate)
            {
                _host = null;
            }

            var tail = string.Join(Environment.NewLine, stderr.ToArray());
            if (tail.Length > 0)
            {
                Log.LogMessage(MessageImportance.Low, "Warmup host stderr:{0}{1}", Environment.NewLine, tail);
            }

            if (_canceled)
            {
                return;
            }

            if (timedOut)
            {
                Log.LogError(null, BuildCodes.HostTimeout, null, AssemblyPath, 0, 0, 0, 0,
                    "the Warmup build host did not finish within {0} s and was stopped; a warmup sample may hang or be very slow. Fix the sample, or raise WarmupHostTimeout (seconds).",
                    TimeoutSeconds);
                return;
            }

            Log.LogMessage(MessageImportance.Low, "Warmup: the build host finished in {0} ms with exit code {1}.", stopwatch.ElapsedMilliseconds, process.ExitCode);
            if (process.ExitCode == 1 && sawError)
            {
                return;
            }

            if (process.ExitCode == 0 && !_noManifest && _modelsReported < models.Count)
            {
                // Every model ends in a written/unchanged file or a no-samples warning; anything else means the host
                // stopped early (for example a sample called Environment.Exit).
                Log.LogError(null, BuildCodes.HostFailed, null, AssemblyPath, 0, 0, 0, 0,
                    "the Warmup build host exited after reporting {0} of {1} models; a sample may have ended the process (Environment.Exit). {2}",
                    _modelsReported, models.Count, tail.Length > 0 ? "Its output: " + tail : string.Empty);
                return;
            }

            if (process.ExitCode != 0)
            {
                Log.LogError(null, BuildCodes.HostFailed, null, AssemblyPath, 0, 0, 0, 0,
                    "the Warmup build host failed with exit code {0} while running the warmup samples of {1}. {2}",
                    process.ExitCode, Path.GetFileName(AssemblyPath), tail.Length > 0 ? "Its output: " + tail : "It printed nothing.");
            }
        }
    }

    internal ProcessStartInfo CreateStartInfo(List<(string Name, long Version)> models)
    {
        var startInfo = new ProcessStartInfo(string.IsNullOrEmpty(DotNetHost) ? "dotnet" : DotNetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        if (Path.GetDirectoryName(Path.GetFullPath(AssemblyPath)) is { } appDirectory && Directory.Exists(appDirectory))
        {
            startInfo.WorkingDirectory = appDirectory;
        }

        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add("--depsfile");
        startInfo.ArgumentList.Add(DepsFile);
        startInfo.ArgumentList.Add("--runtimeconfig");
        startInfo.ArgumentList.Add(ResolveRuntimeConfig());
        // net8.0 projects run on a newer runtime when 8 is not installed, as `dotnet ef` does.
        startInfo.ArgumentList.Add("--roll-forward");
        startInfo.ArgumentList.Add("Major");
        foreach (var path in ProbingPaths.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.TrimEnd('/', '\\')).Distinct(StringComparer.Ordinal))
        {
            startInfo.ArgumentList.Add("--additionalprobingpath");
            startInfo.ArgumentList.Add(path);
        }

        startInfo.ArgumentList.Add(HostAssembly);
        startInfo.ArgumentList.Add("--assembly");
        startInfo.ArgumentList.Add(AssemblyPath);
        startInfo.ArgumentList.Add("--out");
        startInfo.ArgumentList.Add(Path.GetFullPath(OutputDirectory));
        foreach (var (name, version) in models)
        {
            startInfo.ArgumentList.Add("--model");
            startInfo.ArgumentList.Add($"{name}/{version.ToString(CultureInfo.InvariantCulture)}");
            if (SignatureFileOf(name) is { } signature)
            {
                // The host checks the model's records against the signature the generator compiled them from.
                startInfo.ArgumentList.Add("--signature");
                startInfo.ArgumentList.Add(signature);
            }
        }

        // The host's console encoding must not depend on the machine's locale.
        startInfo.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        return startInfo;
    }

    /// <summary>Maps one protocol line to an MSBuild message. Returns whether it was an error.</summary>
    internal bool Handle(string line, List<ITaskItem> warmupFiles)
    {
        if (!HostProtocol.TryParse(line, out var hostEvent))
        {
            Log.LogMessage(MessageImportance.Low, "Warmup host: {0}", line);
            return false;
        }

        switch (hostEvent!.Kind)
        {
            case HostEventKind.Error:
                Log.LogError(null, hostEvent.Code, null, hostEvent.File ?? AssemblyPath, hostEvent.Line, 0, 0, 0, "{0}", hostEvent.Message);
                return true;
            case HostEventKind.Warning:
                _modelsReported += hostEvent.Code == BuildCodes.NoSamples ? 1 : 0;
                _noManifest |= hostEvent.Code == BuildCodes.NoManifest;
                var (file, fileLine) = hostEvent.Code == BuildCodes.NoSamples && ModelOf(hostEvent.Message) is { } item
                    ? ModelItems.Location(item, BuildEngine?.ProjectFileOfTaskNode ?? AssemblyPath)
                    : (hostEvent.File ?? AssemblyPath, hostEvent.Line);
                Log.LogWarning(null, hostEvent.Code, null, file, fileLine, 0, 0, 0, "{0}", hostEvent.Message);
                return false;
            case HostEventKind.Info:
                Log.LogMessage(MessageImportance.Normal, "Warmup: {0}", hostEvent.Message);
                return false;
            default:
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
        }
    }

    /// <summary>The signature file of model <paramref name="name"/> (<c>SignatureFile</c> metadata), or null for a hand-declared signature.</summary>
    private string? SignatureFileOf(string name) =>
        Models.FirstOrDefault(m => m.GetMetadata("ModelName") == name) is { } item
        && !ModelItems.IsDeclared(item)
        && item.GetMetadata("SignatureFile") is { Length: > 0 } path
            ? path
            : null;

    /// <summary>The model item a host message names (<c>model 'name' …</c>, the host's wording for per-model events).</summary>
    private ITaskItem? ModelOf(string message) =>
        Models.FirstOrDefault(m => message.StartsWith($"model '{m.GetMetadata("ModelName")}'", StringComparison.Ordinal));

    private string ResolveRuntimeConfig()
    {
        if (!string.IsNullOrEmpty(RuntimeConfigFile) && File.Exists(RuntimeConfigFile))
        {
            return RuntimeConfigFile;
        }

        // A class library has no runtimeconfig: give the host one for the library's target framework.
        var version = TargetFrameworkVersion.TrimStart('v', 'V');
        if (version.Count(c => c == '.') == 1)
        {
            version += ".0";
        }

        var path = Path.Combine(IntermediateDirectory, "Warmup.Build.Host.runtimeconfig.json");
        ReadWarmupSignatures.WriteIfChanged(path,
            "{\n  \"runtimeOptions\": {\n    \"framework\": { \"name\": \"Microsoft.NETCore.App\", \"version\": \"" + version + "\" },\n    \"rollForward\": \"Major\"\n  }\n}\n");
        return path;
    }

    private static void Kill(Process? process)
    {
        try
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    private static string Quote(string argument) => argument.Contains(' ', StringComparison.Ordinal) ? $"\"{argument}\"" : argument;
}
