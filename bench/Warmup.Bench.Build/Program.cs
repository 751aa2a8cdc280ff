// Measures, in one run and on the same machine:
//  1. the no-op incremental `dotnet build` of a model project WITH the Warmup package (model + samples) against the
//     same project WITHOUT it (the baseline), alternating runs so drift hits both alike;
//  2. the time to emit 1000 records: the out-of-process build host run exactly as the build runs it, split into the
//     samples' own construction (reported by the host) and everything else (process start, load, validate, write).
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Warmup.Testing;

var runs = args.Length == 2 && args[0] == "--runs" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15;
var root = Directory.CreateTempSubdirectory("warmup-bench-build-").FullName;
var version = $"{RepoPaths.Version}-bench.{DateTime.UtcNow:yyyyMMddHHmmss}";
try
{
    Console.WriteLine($"Packing Warmup {version} into {root}/feed ...");
    var feed = Path.Combine(root, "feed");
    foreach (var project in new[] { "src/Package/Warmup.csproj", "src/Format/Warmup.Format.csproj" })
    {
        Run(RepoPaths.Root, new() { ["WARMUP_ARTIFACTS"] = Path.Combine(root, "artifacts") },
            "pack", Path.Combine(RepoPaths.Root, project), "-c", "Release", "-o", feed, $"-p:Version={version}");
    }

    File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />\n");
    File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />\n");
    File.WriteAllText(Path.Combine(root, "Directory.Packages.props"), "<Project />\n");
    File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
        <configuration><packageSources><clear /><add key="feed" value="{feed}" /><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources></configuration>
        """);

    var baseline = Project(root, "Baseline", warmup: false, "public static class Samples { public static float[] X => new[] { 1f }; }");
    var withWarmup = Project(root, "WithWarmup", warmup: true, """
        [Warmup.WarmupModel("half_plus_two")]
        public static partial class Samples
        {
            [Warmup.WarmupSample(BatchSizes = new[] { 1, 2, 4, 8 })]
            public static ServingDefaultInputs Small => new() { X = new float[,] { { 1f } } };
        }
        """);
    var thousand = Project(root, "Thousand", warmup: true, """
        [Warmup.WarmupModel("half_plus_two")]
        public static partial class Samples
        {
            [Warmup.WarmupSample(Iterations = 1000)]
            public static ServingDefaultInputs Many => new() { X = new float[,] { { 1f }, { 2f }, { 3f }, { 4f } } };
        }
        """);

    foreach (var project in new[] { baseline, withWarmup, thousand })
    {
        Run(project, null, "build", "-c", "Release");
    }

    // 1. No-op builds, alternating.
    var baselineTimes = new List<double>();
    var warmupTimes = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        // Swap which goes first on every pair, so neither always follows the other.
        if (i % 2 == 0)
        {
            baselineTimes.Add(Time(() => Run(baseline, null, "build", "-c", "Release", "--no-restore")));
            warmupTimes.Add(Time(() => Run(withWarmup, null, "build", "-c", "Release", "--no-restore")));
        }
        else
        {
            warmupTimes.Add(Time(() => Run(withWarmup, null, "build", "-c", "Release", "--no-restore")));
            baselineTimes.Add(Time(() => Run(baseline, null, "build", "-c", "Release", "--no-restore")));
        }
    }

    // 2. Emit 1000 records: the host invocation the build makes, into a fresh folder each time (so it always writes).
    var bin = Path.Combine(thousand, "bin", "Release", "net10.0");
    var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    var hostDll = Path.Combine(packages, "warmup", version, "tools", "net8.0", "Warmup.Build.Host.dll");
    var emitTimes = new List<double>();
    var sampleTimes = new List<double>();
    var writeTimes = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        var output = "";
        var outDir = Path.Combine(root, "emit", i.ToString(CultureInfo.InvariantCulture));
        emitTimes.Add(Time(() => output = Run(bin, null, "exec", "--depsfile", Path.Combine(bin, "Thousand.deps.json"),
            "--runtimeconfig", Path.Combine(bin, "Thousand.runtimeconfig.json"), "--roll-forward", "Major",
            "--additionalprobingpath", packages, hostDll, "--assembly", Path.Combine(bin, "Thousand.dll"), "--out", outDir,
            "--model", "half_plus_two/1")));
        var match = Regex.Match(output, @"(\d+) records from \d+ samples; samples ran in ([\d.]+) ms, validated and written in ([\d.]+) ms");
        if (!match.Success || match.Groups[1].Value != "1000")
        {
            throw new InvalidOperationException("The host did not report 1000 records:\n" + output);
        }

        sampleTimes.Add(double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
        writeTimes.Add(double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
    }

    double baseMs = Statistics.Median(baselineTimes), warmMs = Statistics.Median(warmupTimes), emitMs = Statistics.Median(emitTimes), samplesMs = Statistics.Median(sampleTimes), writeMs = Statistics.Median(writeTimes);
    double baseMin = baselineTimes.Min(), warmMin = warmupTimes.Min();
    var noOpMet = warmMs / baseMs <= 1.05 || warmMs - baseMs <= 150;
    var report = string.Join('\n',
        $"| measurement ({runs} runs, alternating) | median | min | median vs baseline | target |",
        "|---|---|---|---|---|",
        $"| no-op build, without Warmup (baseline) | {baseMs:F0} ms | {baseMin:F0} ms | 1.00× | |",
        $"| no-op build, with Warmup (1 model, 4 records) | {warmMs:F0} ms | {warmMin:F0} ms | {warmMs / baseMs:F2}× ({warmMs - baseMs:+0;-0} ms; min {warmMin - baseMin:+0;-0} ms) | ≤ 1.05× or ≤ +150 ms: {(noOpMet ? "met" : "NOT met")} |",
        $"| emit 1000 records: whole host run | {emitMs:F0} ms | {emitTimes.Min():F0} ms | | |",
        $"| — the samples' own construction | {samplesMs:F1} ms | {sampleTimes.Min():F1} ms | | |",
        $"| — Warmup's part (start, load, validate, write) | {emitMs - samplesMs:F0} ms | | | ≤ 1000 ms: {(emitMs - samplesMs <= 1000 ? "met" : "NOT met")} |",
        $"| — of which validate + write the file | {writeMs:F1} ms | {writeTimes.Min():F1} ms | | |");
    Console.WriteLine();
    Console.WriteLine(report);
}
finally
{
    // The temp folder and the run's packages in the global package folder.
    var packagesFolder = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    foreach (var folder in new[] { root, Path.Combine(packagesFolder, "warmup", version), Path.Combine(packagesFolder, "warmup.format", version) })
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}

static string Project(string root, string name, bool warmup, string samples)
{
    var directory = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
    var version = Directory.GetFiles(Path.Combine(root, "feed"), "Warmup.0*.nupkg").Select(Path.GetFileNameWithoutExtension).Single()!["Warmup.".Length..];
    var items = warmup
        ? $"""<ItemGroup><PackageReference Include="Warmup" Version="{version}" /><WarmupModel Include="models/half_plus_two.onnx" /></ItemGroup>"""
        : """<ItemGroup><PackageReference Include="Google.Protobuf" Version="3.36.2" /></ItemGroup>""";
    File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup><TargetFramework>net10.0</TargetFramework><OutputType>Exe</OutputType><Nullable>enable</Nullable></PropertyGroup>
          {items}
        </Project>
        """);
    File.WriteAllText(Path.Combine(directory, "Program.cs"), "System.Console.WriteLine(\"model project\");\n");
    File.WriteAllText(Path.Combine(directory, "Samples.cs"), samples);
    // Both projects carry the model file, so the difference is Warmup alone.
    TestModels.HalfPlusTwo().Save(Path.Combine(directory, "models", "half_plus_two.onnx"));
    return directory;
}

static string Run(string directory, Dictionary<string, string?>? environment, params string[] args)
{
    var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var arg in args)
    {
        start.ArgumentList.Add(arg);
    }

    if (args[0] is "build" or "pack")
    {
        start.ArgumentList.Add("-nodeReuse:false");
    }

    foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k == "WARMUP_ARTIFACTS").ToList())
    {
        start.Environment.Remove(key);
    }

    start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
    start.Environment["DOTNET_NOLOGO"] = "1";
    foreach (var (key, value) in environment ?? [])
    {
        start.Environment[key] = value;
    }

    using var process = Process.Start(start)!;
    var stderr = process.StandardError.ReadToEndAsync();
    var stdout = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"dotnet {string.Join(' ', args)} failed in {directory}:\n{stdout}{stderr.Result}");
    }

    return stdout;
}

static double Time(Action action)
{
    var watch = Stopwatch.StartNew();
    action();
    return watch.Elapsed.TotalMilliseconds;
}
