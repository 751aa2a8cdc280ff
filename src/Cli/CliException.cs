namespace Warmup.Cli;

/// <summary>Exit codes shared by every command.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>Invalid input (a malformed or invalid file, a record that does not fit the model) or a failed run.</summary>
    public const int Invalid = 1;

    /// <summary>Usage error, or a file that cannot be read at all (missing, a directory, unreadable).</summary>
    public const int Usage = 2;

    /// <summary>Interrupted by SIGINT (128 + 2, as shells report it); temp files are removed first.</summary>
    public const int Interrupted = 130;
}

/// <summary>An expected failure: printed as one <c>error: …</c> line, never with a stack trace.</summary>
internal sealed class CliException(int exitCode, string message, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>The process exit code to return.</summary>
    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    public static CliException Invalid(string message) => new(ExitCodes.Invalid, message);
}
