using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Warmup.Format;
using Warmup.Format.Protos.Serving;
using Warmup.Format.Tensors;
using Warmup.Testing;

/// <summary>
/// Whole-process start-up of the <c>warmup</c> tool (<c>-- --process</c>): the tool and a <c>dotnet new console</c> hello world
/// are published the same three ways — framework-dependent JIT (the tool's <c>any</c> fallback package), ReadyToRun
/// (RID-specific, framework-dependent) and Native AOT — and timed as processes in the same run: the hello world is the
/// baseline of each way. Then <c>validate</c> of a 1000-record, 256 MiB file in MB/s, <c>run</c> on ONNX Runtime (must keep
/// working), and the install size.
/// </summary>
internal static class ProcessStartup
{
    public static void Run(string[] args)
    {
        var repeat = Option(args, "--repeat", 11);
        var work = Directory.CreateTempSubdirectory("warmup-bench-process-").FullName;
        try
        {
            var rid = RuntimeInformation.RuntimeIdentifier;
            var hello = Directory.CreateDirectory(Path.Combine(work, "hello")).FullName;
            File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />\n");
            File.WriteAllText(Path.Combine(work, "Directory.Build.targets"), "<Project />\n");
            File.WriteAllText(Path.Combine(hello, "hello.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><InvariantGlobalization>true</InvariantGlobalization></PropertyGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(hello, "Program.cs"), "System.Console.WriteLine(\"Hello, World!\");\n");

            var small = Path.Combine(work, "small.tfrecord");
            WarmupFile.Write(small, [Log([1f]), Log([2f, 3f])]);
            var large = Path.Combine(work, "large.tfrecord");
            var row = Enumerable.Range(0, 64 * 1024).Select(i => i * 0.5f).ToArray();
            WarmupFile.Write(large, Enumerable.Range(0, 1000).Select(_ => new PredictionLog
            {
                PredictLog = new PredictLog { Request = new PredictRequest { ModelSpec = new ModelSpec { Name = "half_plus_two" }, Inputs = { ["x"] = TensorProtoConverter.FromArray(row, row.Length, 1) } } },
            }), new WarmupWriteOptions { Validate = false });
            var model = TestModels.HalfPlusTwo().Save(Path.Combine(work, "half_plus_two.onnx"));
            var largeMiB = new FileInfo(large).Length / (1024.0 * 1024.0);

            // AOT links with clang when present, else gcc (this machine has gcc only).
            string[] aot = ["-p:PublishAot=true", .. OnPath("clang") ? Array.Empty<string>() : ["-p:CppCompilerAndLinker=gcc"]];
            var modes = new (string Name, string[] Publish)[]
            {
                // src/Cli sets PublishAot (it ships as a Native AOT tool): the other two ways turn it off.
                ("JIT (framework-dependent)", ["-p:PublishAot=false"]),
                ("ReadyToRun", ["-r", rid, "--self-contained", "false", "-p:PublishReadyToRun=true", "-p:PublishAot=false"]),
                ("Native AOT", ["-r", rid, .. aot]),
            };

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"process start-up, median of {repeat} runs (wall clock); validate of {largeMiB:0} MiB / 1000 records: median of 3; load {Load()}"));
            Console.WriteLine($"{"published as",-26} {"hello ms",9} {"--version",10} {"validate small",15} {"÷ hello",8} {"validate MB/s",14} {"run (ORT)",10} {"install MB",11}");
            foreach (var (name, publish) in modes)
            {
                var slug = new string(name.Where(char.IsAsciiLetter).ToArray());
                var helloOut = Publish(Path.Combine(hello, "hello.csproj"), Path.Combine(work, "out-hello-" + slug), Path.Combine(work, "art-hello-" + slug), publish);
                // The tool's AOT build reports ONNX Runtime's and Google.Protobuf's trim warnings; they are measured, not fixed, here.
                var cliOut = Publish(Path.Combine(RepoPaths.Root, "src", "Cli", "Warmup.Cli.csproj"), Path.Combine(work, "out-cli-" + slug), Path.Combine(work, "art-cli-" + slug),
                    [.. publish, "-p:TreatWarningsAsErrors=false"]);
                if (helloOut is null || cliOut is null)
                {
                    Console.WriteLine($"{name,-26} publish failed (see above)");
                    continue;
                }

                // JIT: the portable app run by the dotnet host, as a global tool runs; the others: the native executable.
                string[] Command(string folder, string app) => !publish.Contains("-r") ? ["dotnet", Path.Combine(folder, app + ".dll")] : [Path.Combine(folder, app)];
                var helloMs = Median(repeat, Command(helloOut, "hello"));
                var versionMs = Median(repeat, [.. Command(cliOut, "warmup"), "--version"]);
                var validateMs = Median(repeat, [.. Command(cliOut, "warmup"), "validate", small]);
                var largeMs = Median(3, [.. Command(cliOut, "warmup"), "validate", large]);
                var runs = Exit([.. Command(cliOut, "warmup"), "run", "--model", model, "--requests", small]) == 0 ? "works" : "FAILS";
                var size = Directory.EnumerateFiles(cliOut, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".dbg", StringComparison.Ordinal) && !f.EndsWith(".pdb", StringComparison.Ordinal))
                    .Sum(f => new FileInfo(f).Length) / (1024.0 * 1024.0);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-26} {helloMs,9:0.0} {versionMs,10:0.0} {validateMs,15:0.0} {validateMs / helloMs,7:0.00}x {largeMiB * 1024 * 1024 / 1e6 / (largeMs / 1000),14:0} {runs,10} {size,11:0.0}"));
            }

            Console.WriteLine($"load after: {Load()}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string? Publish(string project, string output, string artifacts, string[] options)
    {
        var result = Exec(["dotnet", "publish", project, "-c", "Release", "-o", output, "-nologo", "-v:q", $"-p:ArtifactsPath={artifacts}/", .. options], out var text);
        if (result != 0)
        {
            Console.WriteLine($"dotnet publish {Path.GetFileName(project)} {string.Join(' ', options)} failed:\n{text}");
            return null;
        }

        return output;
    }

    private static double Median(int repeat, string[] command)
    {
        Exit(command);
        var times = new double[repeat];
        for (var i = 0; i < repeat; i++)
        {
            var started = Stopwatch.GetTimestamp();
            if (Exit(command) != 0)
            {
                throw new InvalidOperationException($"{string.Join(' ', command)} failed");
            }

            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(times);
        return times[repeat / 2];
    }

    private static int Exit(string[] command) => Exec(command, out _);

    private static int Exec(string[] command, out string output)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k == "WARMUP_ARTIFACTS").ToList())
        {
            start.Environment.Remove(key);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        output = stdout.Result + stderr.Result;
        return process.ExitCode;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, tool)));

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static PredictionLog Log(float[] values)
    {
        var request = new PredictRequest { ModelSpec = new ModelSpec { Name = "half_plus_two" } };
        request.Inputs.Add("x", TensorProtoConverter.FromArray(values, values.Length, 1));
        return new PredictionLog { PredictLog = new PredictLog { Request = request } };
    }

    private static int Option(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
