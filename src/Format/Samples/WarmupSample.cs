using Warmup.Format.Protos.Serving;

namespace Warmup.Format.Samples;

/// <summary>
/// The samples an assembly declares with <c>[WarmupSample]</c>, as listed by the code the Warmup generator emits.
/// The build executes it out of process to write each model's warmup file.
/// </summary>
public interface IWarmupManifest
{
    /// <summary>Every sample, ordered by model name (ordinal), then declaration order.</summary>
    IReadOnlyList<WarmupSample> Samples { get; }
}

/// <summary>One declared sample: where it is, which model it warms, and how to build its records.</summary>
public sealed class WarmupSample
{
    private readonly Func<IEnumerable<PredictionLog>> _createLogs;

    /// <summary>Creates a sample entry (called by generated code).</summary>
    public WarmupSample(string model, string name, string? sourceFile, int line, Func<IEnumerable<PredictionLog>> createLogs)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(createLogs);
        Model = model;
        Name = name;
        SourceFile = sourceFile;
        Line = line;
        _createLogs = createLogs;
    }

    /// <summary>The TF Serving model name the sample warms.</summary>
    public string Model { get; }

    /// <summary>The sample's name (by default the declaring member's full name).</summary>
    public string Name { get; }

    /// <summary>The source file that declares the sample, when known.</summary>
    public string? SourceFile { get; }

    /// <summary>The 1-based line of the declaration, or 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>Runs the sample's code and returns its records (one per batch size and value).</summary>
    public IEnumerable<PredictionLog> CreateLogs() => _createLogs();

    /// <inheritdoc />
    public override string ToString() => SourceFile is null ? Name : $"{Name} ({SourceFile}:{Line})";
}

/// <summary>Points the build at the assembly's generated <see cref="IWarmupManifest"/> implementation.</summary>
/// <param name="manifestType">A type implementing <see cref="IWarmupManifest"/> with a public parameterless constructor.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class WarmupManifestAttribute(Type manifestType) : Attribute
{
    /// <summary>The manifest type.</summary>
    public Type ManifestType { get; } = manifestType;
}
