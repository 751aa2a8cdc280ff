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
    public void Lays_out_an_onnx_model_copying_only_changes_and_removing_stale_files()
    {
        var model = TestModels.HalfPlusTwo().Save(Path.Combine(_dir, "src", "half_plus_two.onnx"));
        var task = Task();
        var writes = new List<ITaskItem>();

        Assert.True(task.LayOutModel(model, "hp", 3, writes), _engine.Describe());
        var copy = Path.Combine(_dir, "out", "hp", "3", "half_plus_two.onnx");
        Assert.Equal(File.ReadAllBytes(model), File.ReadAllBytes(copy));
        Assert.Equal([copy], writes.Select(w => w.ItemSpec));

        var stale = Path.Combine(_dir, "out", "hp", "3", "old.onnx");
        File.WriteAllText(stale, "left by an earlier build");
        var copiedAt = File.GetLastWriteTimeUtc(copy);
        Thread.Sleep(20);
        Assert.True(task.LayOutModel(model, "hp", 3, []));

        Assert.False(File.Exists(stale));
        Assert.Equal(copiedAt, File.GetLastWriteTimeUtc(copy));
    }

    [SkippableFact]
    public void Lays_out_a_saved_model_directory_with_its_variables()
    {
        Skip.If(RepoPaths.Interop is null, RepoPaths.SharedMissingMessage);
        var model = Path.Combine(RepoPaths.Interop!, "tfserving", "saved_model_half_plus_two_cpu", "00000123");
        var writes = new List<ITaskItem>();

        Assert.True(Task().LayOutModel(model, "hp", 123, writes), _engine.Describe());

        var root = Path.Combine(_dir, "out", "hp", "123");
        Assert.True(File.Exists(Path.Combine(root, "saved_model.pb")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(root, "variables")));
        Assert.DoesNotContain(writes, w => w.ItemSpec.EndsWith("tf_serving_warmup_requests", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_model_is_WARMUPB001_and_the_host_is_not_started()
    {
        var task = Task(Model(Path.Combine(_dir, "gone.onnx"), "gone"));
        task.DotNetHost = "/nonexistent/dotnet";

        Assert.False(task.Execute());

        Assert.Equal(["WARMUPB001"], _engine.Errors.Select(e => e.Code));
    }

    [Fact]
    public void Protocol_lines_become_errors_warnings_and_outputs_with_codes_and_locations()
    {
        var task = Task();
        var files = new List<ITaskItem>();

        Assert.True(task.Handle("warmup:error WARMUPB010 at=%2Fsrc%2FMy%20Samples.cs:42 warmup sample 'S' threw X: boom", files));
        Assert.False(task.Handle("warmup:warning WARMUPB016 model 'm' has no [WarmupSample]", files));
        Assert.False(task.Handle("warmup:wrote half%20plus 3 /out/half plus/1/assets.extra/tf_serving_warmup_requests", files));
        Assert.False(task.Handle("some user output", files));

        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("WARMUPB010", "/src/My Samples.cs", 42), (error.Code, error.File, error.LineNumber));
        Assert.Equal("warmup sample 'S' threw X: boom", error.Message);
        Assert.Equal("WARMUPB016", Assert.Single(_engine.Warnings).Code);
        var file = Assert.Single(files);
        Assert.Equal(("/out/half plus/1/assets.extra/tf_serving_warmup_requests", "half plus", "3"), (file.ItemSpec, file.GetMetadata("ModelName"), file.GetMetadata("Records")));
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

        Assert.False(task.Handle("warmup:warning WARMUPB016 model 'm' has no [WarmupSample]; no warmup file is written for it.", []));

        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal(("WARMUPB016", project, 4), (warning.Code, warning.File, warning.LineNumber));
    }

    [Fact]
    public void Host_command_line_follows_the_ef_core_design_time_pattern()
    {
        var task = Task();
        task.AssemblyPath = "/app/bin/App.dll";
        task.DepsFile = "/app/bin/App.deps.json";
        task.RuntimeConfigFile = "/app/bin/missing.runtimeconfig.json";
        task.TargetFrameworkVersion = "v8.0";
        task.ProbingPaths = ["/root/.nuget/packages/", ""];

        var start = task.CreateStartInfo([("hp", 2), ("other", 1)]);

        var runtimeConfig = Path.Combine(_dir, "obj", "Warmup.Build.Host.runtimeconfig.json");
        Assert.Equal(
            ["exec", "--depsfile", "/app/bin/App.deps.json", "--runtimeconfig", runtimeConfig, "--roll-forward", "Major",
             "--additionalprobingpath", "/root/.nuget/packages", "/host/Warmup.Build.Host.dll",
             "--assembly", "/app/bin/App.dll", "--out", Path.Combine(_dir, "out"), "--model", "hp/2", "--model", "other/1"],
            start.ArgumentList);
        Assert.Contains("\"version\": \"8.0.0\"", File.ReadAllText(runtimeConfig), StringComparison.Ordinal);
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

        var arguments = task.CreateStartInfo([("hp", 1), ("ranker", 1)]).ArgumentList.SkipWhile(a => a != "--model").ToList();

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
        task.DotNetHost = Script($"echo 'warmup:wrote hp 2 {warmup}'\nexit 0");

        Assert.True(task.Execute(), _engine.Describe());

        Assert.Equal(warmup, Assert.Single(task.WarmupFiles).ItemSpec);
        Assert.Equal([Path.Combine(_dir, "out", "hp", "1", "hp.onnx"), warmup], task.FileWrites.Select(f => f.ItemSpec));
    }

    private EmitWarmupRequests Task(params ITaskItem[] models) => new()
    {
        BuildEngine = _engine,
        Models = models,
        AssemblyPath = Path.Combine(_dir, "bin", "App.dll"),
        DepsFile = Path.Combine(_dir, "bin", "App.deps.json"),
        HostAssembly = "/host/Warmup.Build.Host.dll",
        IntermediateDirectory = Path.Combine(_dir, "obj"),
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
