using System.IO.Compression;
using System.Reflection;
using System.Runtime.Versioning;
using System.Xml.Linq;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>
/// The packed Warmup package as each MSBuild loads its tasks: the .NET SDK's MSBuild (MSBuildRuntimeType Core) and
/// Visual Studio's .NET Framework MSBuild (Full). No .NET Framework runs on this machine, so the Full side is checked the
/// way its loader would see it: the props evaluated by MSBuild itself with the runtime type Full, and the net472 task
/// assembly inspected with MetadataLoadContext against the .NET Framework 4.7.2 reference assemblies and MSBuild's own.
/// </summary>
public sealed class TaskFrameworkTests : IDisposable
{
    private static readonly string[] TaskNames = ["Warmup.Build.Tasks.ReadWarmupSignatures", "Warmup.Build.Tasks.EmitWarmupRequests"];
    private readonly string _dir = Directory.CreateTempSubdirectory("warmup-taskfx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_package_ships_thin_tasks_for_both_msbuilds_and_the_host_with_its_libraries()
    {
        var package = await ExtractAsync();

        Assert.Equal(["Warmup.Build.Tasks.dll"], Files(package, "tasks/net8.0"));
        Assert.Equal(["Warmup.Build.Tasks.dll"], Files(package, "tasks/net472"));
        Assert.Equal(["Warmup.Build.Host.dll", "Warmup.Build.Host.runtimeconfig.json"], Files(package, "tools/net8.0"));
        Assert.Equal(["Google.Protobuf.dll", "Warmup.Format.dll"], Files(package, "tools/net8.0/lib"));
    }

    [Theory]
    [InlineData("Core", "net8.0")]
    [InlineData("Full", "net472")]
    public async Task The_usingtask_assembly_resolves_to_the_packed_dll_of_each_msbuild(string runtimeType, string framework)
    {
        var package = await ExtractAsync();
        var build = Path.Combine(package, "build");
        var targets = XDocument.Load(Path.Combine(build, "Warmup.targets"));
        var usingTasks = targets.Root!.Elements(targets.Root.Name.Namespace + "UsingTask").ToList();
        Assert.Equal(TaskNames, usingTasks.Select(u => u.Attribute("TaskName")?.Value));
        Assert.All(usingTasks, u => Assert.Equal("$(WarmupTasksAssembly)", u.Attribute("AssemblyFile")?.Value));

        // MSBuildRuntimeType is reserved (no -p: sets it), and this MSBuild is Core: for Full, MSBuild evaluates a copy of
        // the packed props beside it in which only that property's name differs.
        var props = File.ReadAllText(Path.Combine(build, "Warmup.props"));
        Assert.Contains("$(MSBuildRuntimeType)", props, StringComparison.Ordinal);
        var evaluated = Path.Combine(build, "Warmup.Evaluated.props");
        File.WriteAllText(evaluated, runtimeType == "Core" ? props : props.Replace("$(MSBuildRuntimeType)", "$(_WarmupTestRuntimeType)", StringComparison.Ordinal));
        var project = Path.Combine(_dir, "evaluate.proj");
        File.WriteAllText(project, $"<Project><Import Project=\"{evaluated}\" /><Target Name=\"Build\" /></Project>\n");

        var result = await DotNet.RunAsync(_dir, null, "msbuild", project, "-getProperty:WarmupTasksAssembly", $"-p:_WarmupTestRuntimeType={runtimeType}");

        Assert.True(result.ExitCode == 0, result.Output);
        var assembly = Path.GetFullPath(result.Output.Trim());
        Assert.Equal(Path.Combine(package, "tasks", framework, "Warmup.Build.Tasks.dll"), assembly);
        Assert.True(File.Exists(assembly), $"{assembly} is not in the package");
    }

    [Fact]
    public async Task The_net472_tasks_load_against_the_net_framework_and_msbuild_reference_assemblies()
    {
        var package = await ExtractAsync();
        var tasksPath = Path.Combine(package, "tasks", "net472", "Warmup.Build.Tasks.dll");
        var framework = Metadata("Warmup.NetFrameworkReferenceAssemblies");
        var references = Directory.GetFiles(framework, "*.dll")
            .Concat(Directory.GetFiles(Path.Combine(framework, "Facades"), "*.dll"))
            .Concat(Directory.GetFiles(Metadata("Warmup.MSBuildFrameworkReferenceAssemblies"), "*.dll"))
            .Concat(Directory.GetFiles(Metadata("Warmup.MSBuildUtilitiesReferenceAssemblies"), "*.dll"))
            .Concat(Directory.GetFiles(Path.GetDirectoryName(tasksPath)!, "*.dll"));
        using var context = new MetadataLoadContext(new PathAssemblyResolver(references), coreAssemblyName: "mscorlib");

        var tasks = context.LoadFromAssemblyPath(tasksPath);

        Assert.Equal(".NETFramework,Version=v4.7.2", tasks.GetCustomAttributesData()
            .Single(a => a.AttributeType.FullName == typeof(TargetFrameworkAttribute).FullName).ConstructorArguments[0].Value);
        foreach (var reference in tasks.GetReferencedAssemblies())
        {
            // Resolving the name is what the CLR does on first use: every reference is .NET Framework's or MSBuild's.
            var resolved = context.LoadFromAssemblyName(reference);
            Assert.True(resolved.GetName().Version >= reference.Version, $"{reference} resolves to the older {resolved.GetName()}");
        }

        var baseTask = context.LoadFromAssemblyName("Microsoft.Build.Utilities.Core").GetType("Microsoft.Build.Utilities.Task", throwOnError: true)!;
        var taskInterface = context.LoadFromAssemblyName("Microsoft.Build.Framework").GetType("Microsoft.Build.Framework.ITask", throwOnError: true)!;
        var taskTypes = tasks.GetTypes().Where(t => t.IsClass && !t.IsAbstract && taskInterface.IsAssignableFrom(t)).ToList();
        Assert.Equal(TaskNames.Order(StringComparer.Ordinal), taskTypes.Select(t => t.FullName!).Order(StringComparer.Ordinal));
        Assert.All(taskTypes, t => Assert.True(t.IsPublic && t.IsSubclassOf(baseTask), $"{t} is not a public Microsoft.Build.Utilities.Task"));
        // The parameters MSBuild sets and reads by reflection: each type must resolve (ITaskItem[] from Microsoft.Build.Framework).
        Assert.All(taskTypes.SelectMany(t => t.GetProperties()), p => Assert.NotNull(p.PropertyType.Assembly.GetName().Name));
    }

    private static string Metadata(string key) =>
        typeof(TaskFrameworkTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static List<string> Files(string package, string folder)
    {
        var path = Path.Combine(package, folder);
        return Directory.Exists(path) ? [.. Directory.GetFiles(path).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)] : [];
    }

    private async Task<string> ExtractAsync()
    {
        var product = await ProductPackages.GetAsync();
        var package = Path.Combine(_dir, "warmup");
        ZipFile.ExtractToDirectory(Path.Combine(product.Feed, $"Warmup.{product.Version}.nupkg"), package);
        return package;
    }
}
