using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>The repository layout docs/architecture.md states: one project per folder under src/, named after it.</summary>
public sealed class LayoutTests
{
    [Fact]
    public void Each_src_folder_holds_one_project_named_after_it()
    {
        var src = Path.Combine(RepoPaths.Root, "src");
        // The templates' projects are package content, not projects of the solution.
        var projects = Directory.GetFiles(src, "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(src, p).Replace('\\', '/'))
            .Where(p => !p.StartsWith("Templates/content/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.NotEmpty(projects);
        Assert.All(projects, project =>
        {
            var parts = project.Split('/');
            Assert.True(parts.Length == 2, $"src/{project} is nested inside another folder: give it its own folder src/<X>/");
            // src/Package is the `Warmup` package itself: its project is named after the package users reference.
            var expected = parts[0] == "Package" ? "Warmup.csproj" : $"Warmup.{parts[0]}.csproj";
            Assert.True(parts[1] == expected, $"src/{project}: the project in src/{parts[0]}/ is {expected}");
        });
    }
}
