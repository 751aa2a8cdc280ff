using System.Globalization;
using Warmup.Format;
using Warmup.Format.Signatures;

namespace Warmup.Build.Host;

/// <summary>
/// Lays each model out in TF Serving's layout (<c>&lt;out&gt;/&lt;name&gt;/&lt;version&gt;/</c>: the .onnx file, or the
/// SavedModel's files), copying only files that changed and deleting files an earlier build left there, so the folder
/// mirrors the model. Runs in the host, before the samples, so the EmitWarmupRequests task needs no Warmup.Format.
/// </summary>
internal static class ModelLayout
{
    /// <summary>Lays out <paramref name="model"/>; a model without a file (<c>Signature="declared"</c>) gets its folder alone.</summary>
    /// <returns>Whether it succeeded; errors were reported.</returns>
    public static bool LayOut(string outputDirectory, HostModel model, TextWriter protocol)
    {
        var versionDirectory = Path.Combine(Path.GetFullPath(outputDirectory), model.Name, model.Version.ToString(CultureInfo.InvariantCulture));
        var warmupPath = Path.Combine(versionDirectory, TfServing.RelativeWarmupPath);
        var files = new List<(string Source, string Relative)>();
        if (model.SourcePath is { } modelPath && !CollectModelFiles(modelPath, model.Name, files, protocol))
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
                protocol.WriteLine(HostProtocol.LaidOut(model.Name, target));
            }

            if (Directory.Exists(versionDirectory))
            {
                foreach (var stale in Directory.EnumerateFiles(versionDirectory, "*", SearchOption.AllDirectories).Where(f => !expected.Contains(f)).ToList())
                {
                    File.Delete(stale);
                    protocol.WriteLine(HostProtocol.Diagnostic(HostEventKind.Info, HostProtocol.InfoCode, $"deleted {stale}, which is no longer part of model '{model.Name}'."));
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            protocol.WriteLine(HostProtocol.Diagnostic(HostEventKind.Error, BuildCodes.OutputNotWritable,
                $"cannot lay out model '{model.Name}' in {versionDirectory} ({ex.Message}). Check that the folder is writable, or set WarmupOutputDirectory.", versionDirectory));
            return false;
        }
    }

    /// <summary>The files of the model to lay out: the .onnx file, or every file of the SavedModel but its warmup file.</summary>
    private static bool CollectModelFiles(string modelPath, string name, List<(string Source, string Relative)> files, TextWriter protocol)
    {
        switch (File.Exists(modelPath) || Directory.Exists(modelPath) ? ModelSignatureReader.DetectFormat(modelPath) : (ModelFormat?)null)
        {
            case null:
                protocol.WriteLine(HostProtocol.Diagnostic(HostEventKind.Error, BuildCodes.ModelNotFound,
                    $"WarmupModel '{name}': the model does not exist. Check the WarmupModel item's path (an .onnx file or a SavedModel directory).", modelPath));
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
                protocol.WriteLine(HostProtocol.Diagnostic(HostEventKind.Error, BuildCodes.UnsupportedModel,
                    $"WarmupModel '{name}': not a model Warmup reads: expected an .onnx file or a SavedModel directory containing saved_model.pb.", modelPath));
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

        using var input = SafeFile.OpenRead(source, "the model file", 1 << 16);
        // Same timestamp as the source: the next build sees the copy as current.
        SafeFile.WriteAtomic(target, input.CopyTo, new AtomicWriteOptions { PreserveUnchanged = false, LastWriteTimeUtc = from.LastWriteTimeUtc });
    }
}
