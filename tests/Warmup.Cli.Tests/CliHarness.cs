using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Warmup.Cli;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Protos.TensorFlow;
using Warmup.Format.Tensors;
using Warmup.Testing;

namespace Warmup.Cli.Tests;

/// <summary>What one in-process run of the tool produced.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Out);
        return document.RootElement.Clone();
    }

    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

/// <summary>Runs the real entry point in-process and builds inputs with the Format writer and the project's ONNX builder.</summary>
public sealed partial class CliHarness : IDisposable
{
    public CliHarness()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("warmup-cli-tests-").FullName;
    }

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Runs the built tool as a separate process (real Main, real console streams, redirected); <paramref name="whileRunning"/> may signal it.</summary>
    public static (int ExitCode, byte[] Out, string Err) Tool(string[] args, Action<Process>? whileRunning = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "warmup.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            whileRunning?.Invoke(process);
            Assert.True(process.WaitForExit(90_000), "the tool did not finish within 90 s");
        }
        finally
        {
            // A failed assertion must not leave the tool running after the test.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        copy.Wait();
        return (process.ExitCode, stdout.ToArray(), stderr.Result);
    }

    public static CliResult Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Program.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Asserts the one-line error format: <c>error: &lt;file&gt;: record &lt;i&gt; at byte &lt;o&gt;: &lt;message&gt;</c>, and no stack trace.</summary>
    public static Match AssertRecordError(CliResult result, string file, long record)
    {
        Assert.DoesNotContain("   at ", result.Err, StringComparison.Ordinal);
        var pattern = new Regex($"^error: {Regex.Escape(file)}: record {record} at byte (\\d+): .+$", RegexOptions.Multiline);
        var match = pattern.Match(result.Err);
        Assert.True(match.Success, $"no one-line record error for record {record}:\n{result}");
        return match;
    }

    public static void AssertOneLineError(CliResult result, int exitCode, string contains)
    {
        Assert.True(exitCode == result.ExitCode, result.ToString());
        Assert.DoesNotContain("   at ", result.Err, StringComparison.Ordinal);
        var errors = result.ErrLines.Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToArray();
        Assert.True(errors.Length >= 1, result.ToString());
        Assert.Contains(contains, errors[0], StringComparison.Ordinal);
    }

    public string Model(string name, OnnxModelBuilder builder) => builder.Save(PathOf(name));

    public string WarmupFileOf(string name, params PredictionLog[] logs)
    {
        var path = PathOf(name);
        WarmupFile.Write(path, logs, new WarmupWriteOptions { Validate = false, MaxRecords = int.MaxValue });
        return path;
    }

    public static PredictionLog Predict(string model, params (string Name, TensorProto Tensor)[] inputs)
    {
        var request = new PredictRequest { ModelSpec = new ModelSpec { Name = model } };
        foreach (var (name, tensor) in inputs)
        {
            request.Inputs.Add(name, tensor);
        }

        return new PredictionLog { PredictLog = new PredictLog { Request = request } };
    }

    public static PredictionLog HalfPlusTwoRecord(params float[] values) =>
        Predict("half_plus_two", ("x", TensorProtoConverter.FromArray(values, values.Length, 1)));

    public static PredictionLog Classify(string signature, float x)
    {
        var example = new Example { Features = new Features() };
        example.Features.Feature.Add("x", new Feature { FloatList = new FloatList { Value = { x } } });
        var list = new ExampleList();
        list.Examples.Add(example);
        return new PredictionLog
        {
            ClassifyLog = new ClassifyLog
            {
                Request = new ClassificationRequest { ModelSpec = new ModelSpec { Name = "half_plus_two", SignatureName = signature }, Input = new Input { ExampleList = list } },
            },
        };
    }

    public static byte[] Frame(params byte[][] payloads)
    {
        using var stream = new MemoryStream();
        using (var writer = new Warmup.Format.TfRecord.TfRecordWriter(stream, leaveOpen: true))
        {
            foreach (var payload in payloads)
            {
                writer.Write(payload);
            }
        }

        return stream.ToArray();
    }

    public static byte[] Bytes(IMessage message) => message.ToByteArray();

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
