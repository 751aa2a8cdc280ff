using System.Text;
using Warmup.Format;
using Warmup.Format.Signatures;

namespace Warmup.Build.Host;

/// <summary>
/// <c>Warmup.Build.Host signatures --signature &lt;model path&gt; &lt;name&gt; &lt;source&gt; &lt;signature file&gt;…</c>: before
/// compile, reads each model's signature (protobuf only, no native code, no user code) and writes its
/// <c>.warmup-signature</c> file (docs/contracts.md §1), rewriting it only when its content changes so the compiler and the
/// generator see no change when nothing changed. The ReadWarmupSignatures task runs it: the task itself stays free of
/// Warmup.Format so that .NET Framework MSBuild can load it.
/// </summary>
internal static class SignatureCommand
{
    public const string Name = "signatures";

    private const string Usage = "usage: Warmup.Build.Host signatures [--signature <model> <name> <source> <signature-file>]...";
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>One model to read.</summary>
    internal sealed record Request(string ModelPath, string Name, string Source, string SignatureFile);

    public static bool TryParse(IReadOnlyList<string> args, out List<Request> requests)
    {
        requests = [];
        for (var i = 0; i < args.Count; i += 5)
        {
            if (args[i] != "--signature" || i + 4 >= args.Count)
            {
                return false;
            }

            requests.Add(new Request(args[i + 1], args[i + 2], args[i + 3], args[i + 4]));
        }

        return true;
    }

    public static int Run(IReadOnlyList<string> args, TextWriter protocol)
    {
        if (!TryParse(args, out var requests))
        {
            Console.Error.WriteLine(Usage);
            return Program.UsageError;
        }

        var errors = false;
        foreach (var request in requests)
        {
            errors |= !Write(request, protocol);
        }

        return errors ? Program.ErrorsReported : Program.Success;
    }

    private static bool Write(Request request, TextWriter protocol)
    {
        ModelSignatures signatures;
        try
        {
            signatures = ModelSignatureReader.Read(request.ModelPath, request.Name, request.Source.Replace('\\', '/'));
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
            protocol.WriteLine(HostProtocol.Diagnostic(HostEventKind.Error, code, $"WarmupModel '{request.Name}': {ex.Problem}", ex.ModelPath));
            return false;
        }

        foreach (var warning in signatures.Warnings)
        {
            protocol.WriteLine(HostProtocol.Diagnostic(HostEventKind.Warning, BuildCodes.SignatureLeftOut, $"WarmupModel '{request.Name}': {warning}", request.ModelPath));
        }

        var bytes = Utf8.GetBytes(SignatureText.Write(signatures.File));
        bool changed;
        try
        {
            changed = SafeFile.WriteAtomic(request.SignatureFile, stream => stream.Write(bytes));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            protocol.WriteLine(HostProtocol.Diagnostic(HostEventKind.Error, BuildCodes.SignatureNotWritable,
                $"cannot write the signature file of model '{request.Name}' ({ex.Message}). Check that the intermediate folder is writable.", request.SignatureFile));
            return false;
        }

        protocol.WriteLine(HostProtocol.Signature(changed, request.Name, request.SignatureFile));
        return true;
    }
}
