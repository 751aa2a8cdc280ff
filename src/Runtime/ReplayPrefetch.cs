using Warmup.Format;

namespace Warmup.Runtime;

/// <summary>
/// Reads the first records of a warmup file and decodes their tensors into native tensors as the replay will, then
/// discards them, while the sessions are still being created. In a fresh process the replay's session-independent code
/// (TFRecord framing, protobuf parsing, tensor decoding, ONNX Runtime's tensor API) is compiled on first use: done here,
/// it is compiled on the other core while ONNX Runtime builds the session, instead of inside the replay, which the host
/// waits for before it is ready. Never throws: the replay reads the file again and reports whatever is wrong with it.
/// </summary>
internal static class ReplayPrefetch
{
    /// <summary>Records read at most: enough to compile the path for the log types a file holds, little work for a large file.</summary>
    internal const int MaxRecords = 4;

    /// <summary>Starts the prefetch on the thread pool; cancel <paramref name="cancellationToken"/> when the sessions are ready.</summary>
    public static Task<int> Start(string path, WarmupReplayOptions options, CancellationToken cancellationToken) =>
        Task.Run(() => Run(path, options, cancellationToken), CancellationToken.None);

    /// <summary>Reads and decodes up to <see cref="MaxRecords"/> records; returns how many.</summary>
    internal static int Run(string path, WarmupReplayOptions options, CancellationToken cancellationToken)
    {
        var read = 0;
        try
        {
            foreach (var record in WarmupFile.Read(path, new WarmupReadOptions { MaxRecords = options.MaxRecords }))
            {
                if (cancellationToken.IsCancellationRequested || read == MaxRecords)
                {
                    break;
                }

                RequestMapper.DecodeWithoutSession(record.Log, options);
                read++;
            }
        }
#pragma warning disable CA1031 // Whatever fails here fails again in the replay, which reports it with its location.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        return read;
    }
}
