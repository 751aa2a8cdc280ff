using System.Diagnostics;

// The whole Warmup story on a fresh machine, through the same packages users get:
//   1. pack Warmup, Warmup.Format, Warmup.Runtime, Warmup.Runtime.Measurement, Warmup.AspNetCore and the dotnet new templates from src/ into the local feed artifacts/feed;
//   2. pack the TextEmbeddings model project: its build reads the model's signature, compiles the [WarmupSample]s,
//      runs them out of process and writes models/all_minilm_l6_v2/1/assets.extra/tf_serving_warmup_requests;
//   3. run the TextEmbeddings host, which references the model package and starts itself fresh 3 times per condition:
//      without warmup, and replaying the warmup file on ONNX Runtime (CUDA when present, CPU otherwise); it prints the
//      medians of first-request latency against steady state, and the time to ready.
var root = FindRepositoryRoot();
var feed = Path.Combine(root, "artifacts", "feed");
var samplePackages = Path.Combine(root, "samples", ".nuget", "packages");
var configuration = args.Contains("--debug") ? "Debug" : "Release";
var total = Stopwatch.StartNew();

Step("Packing Warmup, Warmup.Format, Warmup.Runtime, Warmup.Runtime.Measurement, Warmup.AspNetCore and Warmup.Templates into artifacts/feed", () =>
{
    foreach (var project in new[] { "src/Format/Warmup.Format.csproj", "src/Runtime/Warmup.Runtime.csproj", "src/Runtime.Measurement/Warmup.Runtime.Measurement.csproj", "src/Package/Warmup.csproj", "src/AspNetCore/Warmup.AspNetCore.csproj", "src/Templates/Warmup.Templates.csproj" })
    {
        // A private build folder, so this pack never races a build of the same projects (an IDE, a test run).
        Dotnet(root, "pack", project, "-c", configuration, "-o", feed, $"-p:ArtifactsPath={Path.Combine(root, "artifacts", "quickstart")}/");
    }

    // The samples restore into their own package folder; drop stale copies of the packages just packed.
    foreach (var id in new[] { "warmup", "warmup.format", "warmup.runtime", "warmup.runtime.measurement", "warmup.aspnetcore", "textembeddings.model", "halfplustwo.model", "vision.model" })
    {
        var folder = Path.Combine(samplePackages, id);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // And the samples' restore caches: a restore that finds its cache up to date keeps the imports of the package it
    // restored before (e.g. Warmup's former buildTransitive/ targets), even though the same version now has other files.
    foreach (var cache in Directory.EnumerateFiles(Path.Combine(root, "samples"), "project.nuget.cache", SearchOption.AllDirectories))
    {
        File.Delete(cache);
    }
});

Step("Building and packing the model project samples/TextEmbeddings/Model (writes the warmup file)", () =>
    Dotnet(root, "pack", "samples/TextEmbeddings/Model", "-c", configuration, "-o", feed));

Step("Running the host samples/TextEmbeddings/Host (fresh processes with and without replaying the warmup file)", () =>
    Dotnet(root, "run", "--project", "samples/TextEmbeddings/Host", "-c", configuration, "--", "--device", "auto"));

Console.WriteLine($"Done in {total.Elapsed.TotalSeconds:F0} s.");
return 0;

static void Step(string title, Action action)
{
    Console.WriteLine($"==> {title}");
    var watch = Stopwatch.StartNew();
    action();
    Console.WriteLine($"    ({watch.Elapsed.TotalSeconds:F1} s)");
}

static void Dotnet(string workingDirectory, params string[] arguments)
{
    var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, UseShellExecute = false };
    foreach (var argument in arguments)
    {
        start.ArgumentList.Add(argument);
    }

    var quiet = arguments[0] != "run";
    if (quiet)
    {
        start.ArgumentList.Add("-nologo");
        start.ArgumentList.Add("-v:q");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
    }

    using var process = Process.Start(start) ?? throw new InvalidOperationException("Cannot start dotnet.");
    var output = quiet ? process.StandardOutput.ReadToEndAsync() : Task.FromResult(string.Empty);
    var error = quiet ? process.StandardError.ReadToEndAsync() : Task.FromResult(string.Empty);
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        Console.Error.WriteLine(output.Result);
        Console.Error.WriteLine(error.Result);
        Console.Error.WriteLine($"error: `dotnet {string.Join(' ', arguments)}` failed with exit code {process.ExitCode}.");
        Environment.Exit(1);
    }
}

static string FindRepositoryRoot()
{
    for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Warmup.sln")))
        {
            return directory.FullName;
        }
    }

    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Warmup.sln")))
        {
            return directory.FullName;
        }
    }

    Console.Error.WriteLine("error: run QuickStart from inside the Warmup repository (Warmup.sln not found).");
    Environment.Exit(2);
    return string.Empty;
}
