using System.Text;

namespace Warmup.Format;

/// <summary>
/// The base of Warmup's errors about an input: where (the file, the record index, the byte offset, as far as known) and
/// what is wrong. The message reads <c>file: record i at byte o: problem</c>. Each derived type carries its own kind:
/// <see cref="WarmupFormatException"/> (a malformed warmup file or record), <see cref="Signatures.ModelSignatureException"/>
/// (a model whose signature cannot be read) and Warmup.Runtime's <c>WarmupReplayException</c> (a record that cannot be
/// replayed).
/// </summary>
public abstract class WarmupException : Exception
{
    // Derived only by Warmup's own exception types.
    private protected WarmupException(string problem, string? filePath, long? recordIndex, long? byteOffset, Exception? innerException)
        : base(Compose(filePath, recordIndex, byteOffset, problem), innerException)
    {
        ArgumentNullException.ThrowIfNull(problem);
        Problem = problem;
        FilePath = filePath;
        RecordIndex = recordIndex;
        ByteOffset = byteOffset;
    }

    /// <summary>The problem alone, without the location prefix.</summary>
    public string Problem { get; }

    /// <summary>The file (or display name of the stream) in which the problem was found, when known.</summary>
    public string? FilePath { get; }

    /// <summary>The zero-based index of the record, when the problem belongs to one.</summary>
    public long? RecordIndex { get; }

    /// <summary>The byte offset of the record's start (or of the problem, for file-level problems).</summary>
    public long? ByteOffset { get; }

    /// <summary>Formats <c>file: record i at byte o: problem</c>, leaving out the parts that are unknown.</summary>
    public static string Compose(string? filePath, long? recordIndex, long? byteOffset, string problem)
    {
        var text = new StringBuilder();
        if (!string.IsNullOrEmpty(filePath))
        {
            text.Append(filePath).Append(": ");
        }

        if (recordIndex is { } index)
        {
            text.Append("record ").Append(index);
            text.Append(byteOffset is { } at ? $" at byte {at}: " : ": ");
        }
        else if (byteOffset is { } offset)
        {
            text.Append("at byte ").Append(offset).Append(": ");
        }

        return text.Append(problem).ToString();
    }
}
