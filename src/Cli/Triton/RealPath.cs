namespace Warmup.Cli.Triton;

/// <summary>Canonical paths with every symbolic link resolved (POSIX realpath), so that containment checks see the real file.</summary>
internal static class RealPath
{
    private const int MaxLinks = 40;

    /// <summary>The path with every existing component's links resolved; components that do not exist are kept as given.</summary>
    public static string Resolve(string path) => Resolve(Path.GetFullPath(path), 0);

    /// <summary>Whether <paramref name="path"/> (already real) lies inside <paramref name="directory"/> (already real).</summary>
    public static bool IsInside(string path, string directory) =>
        path.StartsWith(directory.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string Resolve(string full, int depth)
    {
        var root = Path.GetPathRoot(full)!;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            if (new FileInfo(next).LinkTarget is { } target)
            {
                if (depth >= MaxLinks)
                {
                    throw new IOException($"{full}: too many levels of symbolic links.");
                }

                next = Resolve(Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target)), depth + 1);
            }

            current = next;
        }

        return current;
    }
}
