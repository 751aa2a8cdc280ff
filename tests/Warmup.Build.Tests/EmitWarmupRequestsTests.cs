using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Warmup.Build.Tasks;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

public sealed class EmitWarmupRequestsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("warmup-emit-").FullName;
    private readonly MockBuildEngine _engine = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Missing_model_is_WARMUPB001_from_the_host_before_any_sample_runs()
    {
        var task = Task(Model(Path.Combine(_dir, "gone.onnx"), "gone"));
        // The real host, on its own deps.json: had it gone on to the samples, loading the missing App.dll would fail (WARMUPB014).
        task.HostAssembly = BuiltHost.Assembly;
        task.DepsFile = BuiltHost.DepsFile;
        task.RuntimeConfigFile = BuiltHost.RuntimeConfig;

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("WARMUPB001", Path.Combine(_dir, "gone.onnx")), (error.Code, error.File));
        Assert.Empty(task.WarmupFiles);
    }

    [Fact]
    public void Protocol_lines_become_errors_warnings_and_outputs_with_codes_and_locations()
    {
        var task = Task();
        var files = new List<ITaskItem>();
        var laidOut = new List<ITaskItem>();

        Assert.True(task.Handle("warmup:error WARMUPB010 at=%2Fsrc%2FMy%20Samples.cs:42 warmup sample 'S' threw X: boom", laidOut, files));
        Assert.False(task.Handle("warmup:warning WARMUPB016 model 'm' has no [WarmupSample]", laidOut, files));
        Assert.False(task.Handle("warmup:file half%20plus /out/half plus/1/half plus.onnx", laidOut, files));
        Assert.False(task.Handle("warmup:wrote half%20plus 3 /out/half plus/1/assets.extra/tf_serving_warmup_requests", laidOut, files));
        Assert.False(task.Handle("some user output", laidOut, files));

        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("WARMUPB010", "/src/My Samples.cs", 42), (error.Code, error.File, error.LineNumber));
        Assert.Equal("warmup sample 'S' threw X: boom", error.Message);
        Assert.Equal("WARMUPB016", Assert.Single(_engine.Warnings).Code);
        var file = Assert.Single(files);
        Assert.Equal(("/out/half plus/1/assets.extra/tf_serving_warmup_requests", "half plus", "3"), (file.ItemSpec, file.GetMetadata("ModelName"), file.GetMetadata("Records")));
        Assert.Equal("/out/half plus/1/half plus.onnx", Assert.Single(laidOut).ItemSpec);
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("some user output", StringComparison.Ordinal));
    }

    [Fact]
    public void WARMUPB016_is_located_at_the_models_WarmupModel_item()
    {
        var project = Path.Combine(_dir, "Model.csproj");
        File.WriteAllText(project, "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n    <WarmupModel Include=\"models/a.onnx\" />\n    <WarmupModel Include=\"models/m.onnx\" Version=\"2\" />\n  </ItemGroup>\n</Project>\n");
        var model = Model(Path.Combine(_dir, "models", "m.onnx"), "m");
        model.SetMetadata("Source", "models/m.onnx");
        model.SetMetadata("DefiningProject", project);
        var task = Task(model);

        Assert.False(task.Handle("warmup:warning WARMUPB016 model 'm' has no [WarmupSample]; no warmup file is written for it.", [], []));

        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal(("WARMUPB016", project, 4), (warning.Code, warning.File, warning.LineNumber));
    }

    [Fact]
    public void Host_command_line_follows_the_ef_core_design_time_pattern()
    {
        var task = Task();
        task.AssemblyPath = "/app/bin/App.dll";
        task.DepsFile = "/app/bin/App.deps.json";
        task.RuntimeConfigFile = "/app/bin/App.runtimeconfig.json";
        task.ProbingPaths = ["/root/.nuget/packages/", ""];

        var start = task.CreateStartInfo([("hp", 2, "/models/hp.onnx", null), ("other", 1, null, null)]);

        Assert.Equal(
            ["exec", "--depsfile", "/app/bin/App.deps.json", "--runtimeconfig", "/app/bin/App.runtimeconfig.json", "--roll-forward", "Major",
             "--additionalprobingpath", "/root/.nuget/packages", "/host/Warmup.Build.Host.dll",
             "--assembly", "/app/bin/App.dll", "--out", Path.Combine(_dir, "out"), "--model", "hp/2", "--model-file", "/models/hp.onnx", "--model", "other/1"],
            start.ArgumentList);
    }

    [Fact]
    public void The_host_checks_each_model_against_its_signature_file_unless_the_signature_is_declared()
    {
        var read = Model("/m/hp.onnx", "hp");
        read.SetMetadata("SignatureFile", "/obj/warmup/hp.warmup-signature");
        var declared = Model("/m/none", "ranker");
        declared.SetMetadata("Signature", "declared");
        declared.SetMetadata("SignatureFile", "/obj/warmup/ranker.warmup-signature");
        var task = Task(read, declared);

        var arguments = task.CreateStartInfo([("hp", 1, null, ModelItems.SignatureFile(read)), ("ranker", 1, null, ModelItems.SignatureFile(declared))]).ArgumentList.SkipWhile(a => a != "--model").ToList();

        Assert.Equal(["--model", "hp/1", "--signature", "/obj/warmup/hp.warmup-signature", "--model", "ranker/1"], arguments);
    }

    [Fact]
    public void Host_failure_is_WARMUPB014_with_its_output()
    {
        var task = Task(Model(TestModels.HalfPlusTwo().Save(Path.Combine(_dir, "hp.onnx")), "hp"));
        task.DotNetHost = Script("echo 'Unhandled exception: it broke' >&2\nexit 3");

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("WARMUPB014", error.Code);
        Assert.Contains("exit code 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("it broke", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_reported_by_the_host_fail_the_task_without_a_second_error()
    {
        var task = Task(Model(TestModels.HalfPlusTwo().Save(Path.Combine(_dir, "hp.onnx")), "hp"));
        task.DotNetHost = Script("echo 'warmup:error WARMUPB011 model hp has too many records'\nexit 1");

        Assert.False(task.Execute());

        Assert.Equal(["WARMUPB011"], _engine.Errors.Select(e => e.Code));
    }

    [Fact]
    public void Host_that_exits_before_reporting_every_model_is_WARMUPB014()
    {
        var task = Task(Model(TestModels.HalfPlusTwo().Save(Path.Combine(_dir, "hp.onnx")), "hp"));
        task.DotNetHost = Script("exit 0");

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("WARMUPB014", error.Code);
        Assert.Contains("0 of 1 models", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hanging_host_is_killed_after_the_timeout_with_WARMUPB015()
    {
        var task = Task(Model(TestModels.HalfPlusTwo().Save(Path.Combine(_dir, "hp.onnx")), "hp"));
        task.DotNetHost = Script("sleep 60");
        task.TimeoutSeconds = 1;
        var watch = System.Diagnostics.Stopwatch.StartNew();

        Assert.False(task.Execute());

        Assert.Equal("WARMUPB015", Assert.Single(_engine.Errors).Code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Written_files_are_outputs_and_file_writes()
    {
        var task = Task(Model(TestModels.HalfPlusTwo().Save(Path.Combine(_dir, "hp.onnx")), "hp"));
        var warmup = Path.Combine(_dir, "out", "hp", "1", "assets.extra", "tf_serving_warmup_requests");
        var model = Path.Combine(_dir, "out", "hp", "1", "hp.onnx");
        task.DotNetHost = Script($"echo 'warmup:file hp {model}'\necho 'warmup:wrote hp 2 {warmup}'\nexit 0");

        Assert.True(task.Execute(), _engine.Describe());

        Assert.Equal(warmup, Assert.Single(task.WarmupFiles).ItemSpec);
        Assert.Equal([model, warmup], task.FileWrites.Select(f => f.ItemSpec));
    }

    [SkippableTheory]
    [InlineData("plain")]
    [InlineData("with space")]
    [InlineData("")]
    [InlineData("say \"hi\"")]
    [InlineData(@"C:\my dir\")]
    [InlineData(@"back\\slash\""quote")]
    public void Arguments_quoted_for_net472_read_back_unchanged(string argument)
    {
        Skip.If(OperatingSystem.IsWindows(), "printf stands in for the host here");
        // .NET splits a ProcessStartInfo.Arguments string with the C runtime's rules on every OS, as .NET Framework does.
        var start = new System.Diagnostics.ProcessStartInfo("printf") { RedirectStandardOutput = true, UseShellExecute = false };
        start.Arguments = string.Join(" ", new[] { "%s|", argument, "end" }.Select(HostProcess.QuoteForCommandLine));

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        Assert.Equal($"{argument}|end|", output);
    }

    private EmitWarmupRequests Task(params ITaskItem[] models) => new()
    {
        BuildEngine = _engine,
        Models = models,
        AssemblyPath = Path.Combine(_dir, "bin", "App.dll"),
        DepsFile = Path.Combine(_dir, "bin", "App.deps.json"),
        RuntimeConfigFile = Path.Combine(_dir, "bin", "App.runtimeconfig.json"),
        HostAssembly = "/host/Warmup.Build.Host.dll",
        OutputDirectory = Path.Combine(_dir, "out"),
    };

    private static TaskItem Model(string path, string name)
    {
        var item = new TaskItem(path);
        item.SetMetadata("ModelName", name);
        item.SetMetadata("ModelVersion", "1");
        return item;
    }

    /// <summary>A stand-in for <c>dotnet</c> that ignores its arguments (POSIX shells only).</summary>
    private string Script(string body)
    {
        var path = Path.Combine(_dir, $"fake-dotnet-{Guid.NewGuid():N}.sh");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
