using Warmup.Format.Signatures;

namespace Warmup.Cli;

/// <summary>Reads a model's signatures for the commands that take <c>--model</c> (an .onnx file or a SavedModel directory).</summary>
internal static class ModelInput
{
    /// <summary>The TF Serving model name a path implies: the file name without extension, or the SavedModel's folder name (above a version folder).</summary>
    public static string DefaultName(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        if (string.Equals(Path.GetFileName(full), ModelSignatureReader.SavedModelFileName, StringComparison.OrdinalIgnoreCase))
        {
            full = Path.GetDirectoryName(full)!;
        }

        var name = Directory.Exists(full) ? Path.GetFileName(full) : Path.GetFileNameWithoutExtension(full);
        if (name.Length > 0 && name.All(char.IsAsciiDigit) && Path.GetDirectoryName(full) is { } parent)
        {
            // <base>/<name>/<version>: TF Serving's layout names the model by the folder above the version.
            name = Path.GetFileName(parent);
        }

        return name.Length == 0 ? "model" : name;
    }

    public static SignatureFile Load(string path, string? modelName, CliContext context)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw CliException.Usage($"{path}: model not found. Pass an .onnx file or a SavedModel directory.");
        }

        try
        {
            var signatures = ModelSignatureReader.Read(path, modelName ?? DefaultName(path), path);
            foreach (var warning in signatures.Warnings)
            {
                context.Warning($"{path}: {warning}");
            }

            return signatures.File;
        }
        catch (ModelSignatureException ex)
        {
            var code = ex.Kind is ModelSignatureErrorKind.NotFound or ModelSignatureErrorKind.Unreadable or ModelSignatureErrorKind.UnsupportedFormat
                ? ExitCodes.Usage
                : ExitCodes.Invalid;
            throw new CliException(code, ex.Message, ex);
        }
    }

    /// <summary>The signature <paramref name="key"/> (default <c>serving_default</c>), or a clear error listing the model's signatures.</summary>
    public static SignatureDefinition Select(SignatureFile model, string? key, string path)
    {
        var wanted = Warmup.Format.TfServing.ResolveSignatureName(key);
        return model.Signatures.FirstOrDefault(s => s.Key == wanted)
            ?? throw CliException.Usage($"{path}: the model has no signature \"{wanted}\" (signatures: {string.Join(", ", model.Signatures.Select(s => s.Key))}). Pass one with --signature.");
    }
}
