using System.CommandLine;

namespace Warmup.Cli.Commands;

internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("run", "Replay a warmup file on an ONNX model through Warmup.Runtime and print its report.");
        command.SetAction(_ => Program.Guard(context, () => throw CliException.Usage("not yet available")));
        return command;
    }
}
