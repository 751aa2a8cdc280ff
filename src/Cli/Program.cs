using System.CommandLine;
using Warmup.Cli.Commands;
using Warmup.Format;

namespace Warmup.Cli;

/// <summary>The <c>warmup</c> command-line tool.</summary>
public static class Program
{
    /// <summary>Process entry point.</summary>
    public static int Main(string[] args)
    {
        using var context = new CliContext(Console.Out, Console.Error, interactive: !Console.IsOutputRedirected && !Console.IsErrorRedirected,
            Console.OpenStandardOutput);
        using var interrupt = Interruption.Register(context);
        return Run(args, context);
    }

    /// <summary>Runs the tool in-process with the given writers (never a terminal, so no progress) and returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, interactive: false);

    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactive)
    {
        using var context = new CliContext(stdout, stderr, interactive);
        return Run(args, context);
    }

    private static int Run(string[] args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        var stderr = context.Error;
        var stdout = context.Out;
        var root = BuildRootCommand(context);
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                stderr.WriteLine("error: " + error.Message);
            }

            var command = string.Join(' ', parseResult.CommandResult.Command is RootCommand ? ["warmup"] : new[] { "warmup", parseResult.CommandResult.Command.Name });
            stderr.WriteLine($"Run '{command} --help' for usage.");
            return ExitCodes.Usage;
        }

        return parseResult.Invoke(new InvocationConfiguration
        {
            Output = stdout, Error = ((EscapingWriter)stderr).Inner, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
        });
    }

    /// <summary>The command tree; every action runs inside <see cref="Guard"/>.</summary>
    internal static RootCommand BuildRootCommand(CliContext context)
    {
        var root = new RootCommand(
            "Inspect, validate, create, convert, replay and measure TensorFlow Serving warmup files " +
            "(assets.extra/tf_serving_warmup_requests) on ONNX Runtime.\n" +
            "Exit codes: 0 success, 1 invalid input or failed run, 2 usage error or unreadable file, 130 interrupted (SIGINT; 143 for SIGTERM).")
        {
            InspectCommand.Create(context),
            ValidateCommand.Create(context),
            CreateCommand.Create(context),
            ConvertCommand.Create(context),
            RunCommand.Create(context),
            MeasureCommand.Create(context),
            MeasureCommand.CreateChild(context),
            SelectCommand.Create(context),
            CoverageCommand.Create(context),
        };
        return root;
    }

    /// <summary>Runs a command body, turning expected failures into one <c>error: …</c> line and an exit code.</summary>
    internal static int Guard(CliContext context, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception) when (context.Cancellation.IsCancellationRequested)
        {
            Interruption.Report(context);
            return Interruption.ExitCode;
        }
        catch (CliException ex)
        {
            context.Error.WriteLine("error: " + ex.Message);
            return ex.ExitCode;
        }
        catch (WarmupFormatException ex)
        {
            context.Error.WriteLine("error: " + ex.Message);
            return ex.Kind == WarmupErrorKind.Io ? ExitCodes.Usage : ExitCodes.Invalid;
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine("error: cancelled.");
            return ExitCodes.Invalid;
        }
        catch (Warmup.Format.Signatures.ModelSignatureException ex)
        {
            context.Error.WriteLine("error: " + ex.Message);
            return ExitCodes.Invalid;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            context.Error.WriteLine("error: " + ex.Message);
            return ExitCodes.Usage;
        }
        catch (Exception ex)
        {
            // Unexpected: still one line (set WARMUP_DEBUG=1 for the stack trace).
            context.Error.WriteLine($"error: unexpected failure ({ex.GetType().Name}): {ex.Message}");
            if (Environment.GetEnvironmentVariable("WARMUP_DEBUG") == "1")
            {
                ((EscapingWriter)context.Error).Inner.WriteLine(ex);
            }

            return ExitCodes.Invalid;
        }
    }
}
