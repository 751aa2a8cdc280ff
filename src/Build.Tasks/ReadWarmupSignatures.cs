using Warmup.Format;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Warmup.Format.Signatures;

namespace Warmup.Build.Tasks;

/// <summary>
/// Before compile: reads each <c>WarmupModel</c>'s signature (protobuf only, no native code) and writes its
/// <c>.warmup-signature</c> file (docs/contracts.md §1), rewriting it only when its content changes so the compiler
/// and the generator see no change when nothing changed.
/// </summary>
public sealed class ReadWarmupSignatures : Microsoft.Build.Utilities.Task
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// The models. Item spec: the model's full path. Metadata: <c>ModelName</c>, <c>ModelVersion</c>, <c>Source</c> (the path
    /// as written in the project) and <c>SignatureFile</c> (where to write).
    /// </summary>
    [Required]
    public ITaskItem[] Models { get; set; } = [];

    /// <summary>The signature files, written or already up to date.</summary>
    [Output]
    public ITaskItem[] SignatureFiles { get; set; } = [];

    /// <summary>Whether any signature file was (re)written in this run.</summary>
    [Output]
    public bool Changed { get; set; }

    /// <inheritdoc />
    public override bool Execute()
    {
        var written = new List<ITaskItem>();
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

            ModelSignatures signatures;
            try
            {
                signatures = ModelSignatureReader.Read(model.ItemSpec, name, source.Replace('\\', '/'));
            }
            catch (ModelSignatureException ex)
            {
                var code = ex.Kind switch
                {
                    ModelSignatureErrorKind.NotFound => BuildCodes.ModelNotFound,
                    ModelSignatureErrorKind.Unreadable => BuildCodes.ModelUnreadable,
                    ModelSignatureErrorKind.UnsupportedDType => BuildCodes.UnsupportedDType,
                    ModelSignatureErrorKind.NoServeMetaGraph => BuildCodes.NoServeMetaGraph,
                    _ => BuildCodes.UnsupportedModel,
                };
                Log.LogError(null, code, null, ex.ModelPath, 0, 0, 0, 0, "WarmupModel '{0}': {1}", name, ex.Problem);
                continue;
            }

            foreach (var warning in signatures.Warnings)
            {
                Log.LogWarning(null, BuildCodes.SignatureLeftOut, null, model.ItemSpec, 0, 0, 0, 0, "WarmupModel '{0}': {1}", name, warning);
            }

            var text = SignatureText.Write(signatures.File);
            try
            {
                if (WriteIfChanged(signaturePath, text))
                {
                    Changed = true;
                    Log.LogMessage(MessageImportance.Low, "Warmup: wrote the signature of model '{0}' to {1}.", name, signaturePath);
                }
                else
                {
                    Log.LogMessage(MessageImportance.Low, "Warmup: the signature of model '{0}' is unchanged ({1}).", name, signaturePath);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.LogError(null, BuildCodes.SignatureNotWritable, null, signaturePath, 0, 0, 0, 0,
                    "cannot write the signature file of model '{0}' ({1}). Check that the intermediate folder is writable.", name, ex.Message);
                continue;
            }

            written.Add(new TaskItem(signaturePath, new Dictionary<string, string> { ["ModelName"] = name }));
        }

        SignatureFiles = [.. written];
        return !Log.HasLoggedErrors;
    }

    /// <summary>Writes <paramref name="text"/> unless the file already holds exactly it (temp file, then rename).</summary>
    /// <returns>Whether the file was written.</returns>
    internal static bool WriteIfChanged(string path, string text)
    {
        var bytes = Utf8.GetBytes(text);
        return SafeFile.WriteAtomic(path, stream => stream.Write(bytes));
    }
}
