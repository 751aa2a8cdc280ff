extern alias host;

using host::Warmup.Build.Host;
using Warmup.Testing;
using Xunit;

namespace Warmup.Build.Tests;

/// <summary>The build host's TF Serving layout of a model (run before the samples), with its protocol output parsed back.</summary>
public sealed class ModelLayoutTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("warmup-layout-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Lays_out_an_onnx_model_copying_only_changes_and_removing_stale_files()
    {
        var model = TestModels.HalfPlusTwo().Save(Path.Combine(_dir, "src", "half_plus_two.onnx"));

        var (laidOut, first) = LayOut(new HostModel("hp", 3, model));

        Assert.True(laidOut, Describe(first));
        var copy = Path.Combine(_dir, "out", "hp", "3", "half_plus_two.onnx");
        Assert.Equal(File.ReadAllBytes(model), File.ReadAllBytes(copy));
        Assert.Equal([copy], first.Where(e => e.Kind == HostEventKind.LaidOut).Select(e => e.Path));

        var stale = Path.Combine(_dir, "out", "hp", "3", "old.onnx");
        File.WriteAllText(stale, "left by an earlier build");
        var copiedAt = File.GetLastWriteTimeUtc(copy);
        Thread.Sleep(20);
        Assert.True(LayOut(new HostModel("hp", 3, model)).LaidOut);

        Assert.False(File.Exists(stale));
        Assert.Equal(copiedAt, File.GetLastWriteTimeUtc(copy));
    }

    [SkippableFact]
    public void Lays_out_a_saved_model_directory_with_its_variables()
    {
        Skip.If(RepoPaths.Interop is null, RepoPaths.SharedMissingMessage);
        var model = Path.Combine(RepoPaths.Interop!, "tfserving", "saved_model_half_plus_two_cpu", "00000123");

        var (laidOut, events) = LayOut(new HostModel("hp", 123, model));

        Assert.True(laidOut, Describe(events));
        var root = Path.Combine(_dir, "out", "hp", "123");
        Assert.True(File.Exists(Path.Combine(root, "saved_model.pb")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(root, "variables")));
        Assert.DoesNotContain(events, e => e.Path?.EndsWith("tf_serving_warmup_requests", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Missing_and_unsupported_models_are_WARMUPB001_and_WARMUPB003_at_their_paths()
    {
        var missing = Path.Combine(_dir, "gone.onnx");
        var notes = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(notes, "not a model");

        var (missingLaidOut, missingEvents) = LayOut(new HostModel("gone", 1, missing));
        var (notesLaidOut, notesEvents) = LayOut(new HostModel("notes", 1, notes));

        Assert.False(missingLaidOut);
        Assert.Equal([("WARMUPB001", missing)], missingEvents.Select(e => (e.Code, e.File!)));
        Assert.False(notesLaidOut);
        Assert.Equal([("WARMUPB003", notes)], notesEvents.Select(e => (e.Code, e.File!)));
    }

    [Fact]
    public void A_declared_model_gets_its_version_folder_alone()
    {
        var (laidOut, events) = LayOut(new HostModel("declared", 2));

        Assert.True(laidOut, Describe(events));
        Assert.DoesNotContain(events, e => e.Kind == HostEventKind.LaidOut);
    }

    private (bool LaidOut, List<HostEvent> Events) LayOut(HostModel model)
    {
        using var protocol = new StringWriter();
        var laidOut = ModelLayout.LayOut(Path.Combine(_dir, "out"), model, protocol);
        var events = protocol.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => HostProtocol.TryParse(line, out var e) ? e! : throw new InvalidOperationException($"not a protocol line: {line}")).ToList();
        return (laidOut, events);
    }

    private static string Describe(List<HostEvent> events) => string.Join("\n", events.Select(e => $"{e.Kind} {e.Code} {e.File} {e.Message}"));
}
