using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Samples;
using Warmup.Format.Signatures;

namespace Warmup.Build.Host;

/// <summary>
/// <c>Warmup.Build.Host --assembly app.dll --out dir [--model name[/version] [--signature file]]…</c>: loads the built
/// assembly, runs its generated <see cref="IWarmupManifest"/>, checks each model's records against its signature file
/// and writes <c>dir/name/version/assets.extra/tf_serving_warmup_requests</c> per model. Exit code 0: success; 1: errors
/// reported on stdout; anything else: the host itself failed.
/// </summary>
internal static class Program
{
    internal const int Success = 0;
    internal const int ErrorsReported = 1;
    internal const int UsageError = 2;
    internal const int HostFailure = 3;

    private static int Main(string[] args)
    {
        // User code may write to the console: keep stdout for the protocol.
        var protocol = Console.Out;
        Console.SetOut(Console.Error);
        LibraryFolder.Register();
        try
        {
            if (args.Length > 0 && args[0] == SignatureCommand.Name)
            {
                return SignatureCommand.Run(args[1..], protocol);
            }

            if (!HostOptions.TryParse(args, out var options, out var usage))
            {
                Console.Error.WriteLine(usage);
                return UsageError;
            }

            return new HostRunner(protocol).Run(options!);
        }
#pragma warning disable CA1031 // The host reports any failure through its exit code and stderr.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Console.Error.WriteLine($"Warmup.Build.Host failed: {ex}");
            return HostFailure;
        }
        finally
        {
            protocol.Flush();
        }
    }
}

/// <summary>A model the build asks for; <paramref name="SourcePath"/>: its file or folder to lay out (null: declared, no file);
/// <paramref name="SignatureFile"/>: the signature file its records are checked against (none for a hand-declared signature).</summary>
internal sealed record HostModel(string Name, long Version, string? SourcePath = null, string? SignatureFile = null);

/// <summary>The host's command line.</summary>
internal sealed record HostOptions(string AssemblyPath, string OutputDirectory, IReadOnlyList<HostModel> Models)
{
    public static bool TryParse(IReadOnlyList<string> args, out HostOptions? options, out string usage)
    {
        options = null;
        usage = "usage: Warmup.Build.Host --assembly <app.dll> --out <dir> [--model <name>[/<version>] [--model-file <path>] [--signature <file>]]...";
        string? assembly = null;
        string? output = null;
        var models = new List<HostModel>();
        for (var i = 0; i < args.Count; i++)
        {
            if (i + 1 >= args.Count)
            {
                return false;
            }

            var value = args[++i];
            switch (args[i - 1])
            {
                case "--assembly":
                    assembly = value;
                    break;
                case "--out":
                    output = value;
                    break;
                case "--model":
                    var slash = value.LastIndexOf('/');
                    var version = 1L;
                    if (slash > 0 && !long.TryParse(value[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out version))
                    {
                        return false;
                    }

                    models.Add(new HostModel(slash > 0 ? value[..slash] : value, version));
                    break;
                case "--model-file" when models.Count > 0 && models[^1].SourcePath is null:
                    models[^1] = models[^1] with { SourcePath = value };
                    break;
                case "--signature" when models.Count > 0 && models[^1].SignatureFile is null:
                    models[^1] = models[^1] with { SignatureFile = value };
                    break;
                default:
                    return false;
            }
        }

        if (assembly is null || output is null)
        {
            return false;
        }

        options = new HostOptions(assembly, output, models);
        return true;
    }
}

/// <summary>Runs the manifest and writes the files, reporting every event as a protocol line.</summary>
internal sealed class HostRunner(TextWriter protocol)
{
    private bool _errors;
    private Assembly? _userAssembly;

    public int Run(HostOptions options)
    {
        // The models' folders first: a model that cannot be laid out fails the build before any sample runs.
        if (!options.Models.Select(m => ModelLayout.LayOut(options.OutputDirectory, m, protocol)).ToList().TrueForAll(laidOut => laidOut))
        {
            return Program.ErrorsReported;
        }

        var assemblyPath = Path.GetFullPath(options.AssemblyPath);
        var appDirectory = Path.GetDirectoryName(assemblyPath)!;

        // Like EF Core's design-time host: anything the deps.json did not resolve is looked up beside the app.
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var candidate = Path.Combine(appDirectory, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };

        var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(assemblyPath);
        _userAssembly = assembly;
        return Execute(LoadManifest(assembly), options);
    }

    /// <summary>Writes every requested model's file from <paramref name="manifest"/> (null: the assembly has no samples).</summary>
    public int Execute(IWarmupManifest? manifest, HostOptions options)
    {
        var samples = manifest?.Samples ?? [];
        // The generated manifest lives in the model project's assembly: the user's code, for WARMUPB010's frame.
        _userAssembly = manifest?.GetType().Assembly ?? _userAssembly;
        if (manifest is null)
        {
            Report(HostEventKind.Warning, BuildCodes.NoManifest,
                $"{Path.GetFileName(options.AssemblyPath)} declares no warmup samples (no [WarmupSample] members compiled), so no warmup file is written. " +
                "Add [WarmupSample] members, or set WarmupEnabled=false." +
                string.Concat(options.Models.Select(m => GeneratedNames.Describe(_userAssembly, m.Name) is { } names ? $" Generated for model '{m.Name}': {names}." : string.Empty)));
        }

        var requested = new HashSet<string>(options.Models.Select(m => m.Name), StringComparer.Ordinal);
        foreach (var stray in samples.Where(s => !requested.Contains(s.Model)).Select(s => s.Model).Distinct(StringComparer.Ordinal))
        {
            Report(HostEventKind.Warning, BuildCodes.UnknownModel,
                $"samples target model '{stray}', which is not a <WarmupModel> of this project; they are not written. Add <WarmupModel Include=\"...\" Name=\"{stray}\" />.");
        }

        foreach (var model in options.Models)
        {
            WriteModel(options.OutputDirectory, model, samples.Where(s => s.Model == model.Name).ToList(), manifest is not null);
        }

        return _errors ? Program.ErrorsReported : Program.Success;
    }

    private static IWarmupManifest? LoadManifest(Assembly assembly)
    {
        var attribute = assembly.GetCustomAttribute<WarmupManifestAttribute>();
        if (attribute is null)
        {
            return null;
        }

        // The one reflection step the contract allows: instantiate the generated manifest type.
        return Activator.CreateInstance(attribute.ManifestType) as IWarmupManifest
            ?? throw new InvalidOperationException($"{attribute.ManifestType} does not implement {nameof(IWarmupManifest)}.");
    }

    private void WriteModel(string outputDirectory, HostModel model, List<WarmupSample> samples, bool hasManifest)
    {
        var path = TfServing.GetWarmupFilePath(outputDirectory, model.Name, model.Version);
        if (samples.Count == 0)
        {
            if (hasManifest)
            {
                var generated = GeneratedNames.Describe(_userAssembly, model.Name) is { } names ? $" Generated for it: {names}." : string.Empty;
                Report(HostEventKind.Warning, BuildCodes.NoSamples,
                    $"model '{model.Name}' has no [WarmupSample]; no warmup file is written for it. Add a sample, or set Warmup=\"false\" on its <WarmupModel>.{generated}");
            }

            // Never leave a file from an earlier build behind: it would no longer match the samples.
            if (File.Exists(path))
            {
                File.Delete(path);
                Report(HostEventKind.Info, BuildCodes.NoSamples, $"deleted the stale warmup file {path}.");
            }

            return;
        }

        var construction = System.Diagnostics.Stopwatch.StartNew();
        var logs = new List<PredictionLog>();
        var origins = new List<(int FirstRecord, WarmupSample Sample)>();
        var failed = false;
        foreach (var sample in samples)
        {
            origins.Add((logs.Count, sample));
            try
            {
                foreach (var log in sample.CreateLogs())
                {
                    // Stop early: a runaway sample must not fill memory before the limit is reported.
                    if (logs.Count > TfServing.MaxRecords)
                    {
                        break;
                    }

                    logs.Add(log ?? throw new InvalidOperationException("the sample produced a null record."));
                }
            }
#pragma warning disable CA1031 // Any exception from user code is reported as a build error naming the sample.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failed = true;
                var inner = ex is TargetInvocationException { InnerException: { } cause } ? cause : ex;
                Report(HostEventKind.Error, BuildCodes.SampleThrew,
                    $"warmup sample '{sample.Name}' of model '{model.Name}' threw {inner.GetType().FullName}: {inner.Message} {UserFrame(inner)}".TrimEnd(),
                    sample.SourceFile, sample.Line);
            }
        }

        if (failed)
        {
            return;
        }

        if (logs.Count > TfServing.MaxRecords)
        {
            var counts = string.Join(", ", origins.Select((o, i) =>
                $"{o.Sample.Name}: {(i + 1 < origins.Count ? origins[i + 1].FirstRecord : logs.Count) - o.FirstRecord}"));
            Report(HostEventKind.Error, BuildCodes.TooManyRecords,
                $"model '{model.Name}' has more than {TfServing.MaxRecords} warmup records ({counts}{(logs.Count > TfServing.MaxRecords ? ", stopped counting" : string.Empty)}); " +
                $"TF Serving fails the load above {TfServing.MaxRecords}. Remove samples, values or batch sizes.",
                origins[^1].Sample.SourceFile, origins[^1].Sample.Line);
            return;
        }

        construction.Stop();
        var writing = System.Diagnostics.Stopwatch.StartNew();
        if (model.SignatureFile is not null && !FitsSignature(model, logs, origins))
        {
            return;
        }

        try
        {
            var result = WarmupFile.Write(path, logs);
            writing.Stop();
            // Timings let `dotnet build -v:n` (and bench/Warmup.Bench.Build) tell the samples' cost from Warmup's.
            Report(HostEventKind.Info, HostProtocol.InfoCode, string.Create(CultureInfo.InvariantCulture,
                $"model '{model.Name}': {result.Records} records from {samples.Count} samples; samples ran in {construction.Elapsed.TotalMilliseconds:F1} ms, validated and written in {writing.Elapsed.TotalMilliseconds:F1} ms."));
            protocol.WriteLine(HostProtocol.Written(result.Changed, model.Name, result.Records, result.Path));
        }
        catch (WarmupFormatException ex)
        {
            var sample = ex.RecordIndex is { } index ? origins.Last(o => o.FirstRecord <= index).Sample : null;
            var (code, what) = ex.Kind switch
            {
                WarmupErrorKind.Io => (BuildCodes.OutputNotWritable, $"cannot write the warmup file of model '{model.Name}'"),
                WarmupErrorKind.TooManyRecords => (BuildCodes.TooManyRecords, $"model '{model.Name}' has too many warmup records"),
                _ => (BuildCodes.InvalidRecord, $"warmup sample '{sample?.Name}' of model '{model.Name}' produced a record TF Serving rejects"),
            };
            Report(HostEventKind.Error, code, $"{what}: {ex.Message}", sample?.SourceFile, sample?.Line ?? 0);
        }
    }

    /// <summary>
    /// Checks every record against the model's signature file with Format's <see cref="SignatureChecker"/>, the rules and
    /// wording of <c>warmup validate --model</c> and of the replay. The generator checks what it can see at compile time
    /// (literal shapes, fixed dimensions); values computed when the sample runs (read from a file, sized by code) and
    /// symbolic dimensions that two inputs must agree on are only known here.
    /// </summary>
    private bool FitsSignature(HostModel model, List<PredictionLog> logs, List<(int FirstRecord, WarmupSample Sample)> origins)
    {
        const int Listed = 10;
        string? text = null;
        try
        {
            text = File.ReadAllText(model.SignatureFile!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Report(HostEventKind.Error, BuildCodes.SignatureMismatch,
                $"cannot read the signature file of model '{model.Name}' ({ex.Message}); its records cannot be checked. Rebuild, so that the signature file is written again.",
                model.SignatureFile);
            return false;
        }

        if (!SignatureText.TryParse(text, out var signature, out var error))
        {
            Report(HostEventKind.Error, BuildCodes.SignatureMismatch,
                $"the signature file of model '{model.Name}' is invalid ({error}); its records cannot be checked. Rebuild, so that the signature file is written again.",
                model.SignatureFile, error!.Line);
            return false;
        }

        var findings = 0;
        for (var index = 0; index < logs.Count; index++)
        {
            foreach (var issue in SignatureChecker.Check(logs[index], signature!))
            {
                if (++findings > Listed)
                {
                    continue;
                }

                var sample = origins.Last(o => o.FirstRecord <= index).Sample;
                Report(HostEventKind.Error, BuildCodes.SignatureMismatch,
                    $"warmup sample '{sample.Name}' of model '{model.Name}' produced a record that does not fit the model's signature: " +
                    WarmupException.Compose(null, index, null, issue.Message),
                    sample.SourceFile, sample.Line);
            }
        }

        if (findings > Listed)
        {
            Report(HostEventKind.Error, BuildCodes.SignatureMismatch,
                $"model '{model.Name}': {findings - Listed} more findings against its signature are not listed; fix the ones above first.");
        }

        return findings == 0;
    }

    /// <summary>
    /// The innermost frame of the user's own code: in the model project's assembly, not generated (Warmup.Tensors.g.cs and
    /// the inputs types carry [GeneratedCode]). None when only generated or library code was on the stack (a tensor the
    /// generated check rejected): the error is already located at the sample.
    /// </summary>
    private string UserFrame(Exception ex)
    {
        foreach (var frame in new System.Diagnostics.StackTrace(ex, fNeedFileInfo: true).GetFrames())
        {
            var method = frame.GetMethod();
            var file = frame.GetFileName();
            if (method?.DeclaringType is not { } type || type.Assembly != _userAssembly || IsGenerated(type)
                || method.IsDefined(typeof(System.CodeDom.Compiler.GeneratedCodeAttribute), inherit: false)
                || type.Name.StartsWith("<CreateWarmupLogs>", StringComparison.Ordinal)
                || (file is not null && file.EndsWith(".g.cs", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var at = $"{type.FullName?.Replace('+', '.')}.{method.Name}";
            return file is null ? $"(at {at})" : string.Create(CultureInfo.InvariantCulture, $"(at {at} in {file}:line {frame.GetFileLineNumber()})");
        }

        return string.Empty;
    }

    private static bool IsGenerated(Type type)
    {
        for (Type? current = type; current is not null; current = current.DeclaringType)
        {
            if (current.IsDefined(typeof(System.CodeDom.Compiler.GeneratedCodeAttribute), inherit: false))
            {
                return true;
            }
        }

        return false;
    }

    private void Report(HostEventKind kind, string code, string message, string? file = null, int line = 0)
    {
        _errors |= kind == HostEventKind.Error;
        protocol.WriteLine(HostProtocol.Diagnostic(kind, code, message, file, line));
    }
}
