using Warmup.Format.Protos.Serving;

namespace Warmup.Runtime.Tests;

/// <summary>The prefetch a hosted model runs beside its session creation: bounded, cancellable, and it never fails.</summary>
public sealed class ReplayPrefetchTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static PredictionLog Good(int batch) => Records.Predict(("x", Records.Floats(batch, 4)));

    [Fact]
    public void It_decodes_the_first_records_only()
    {
        var few = Records.Write(_dir.File("few"), Good(1), Good(2));
        var many = Records.Write(_dir.File("many"), [.. Enumerable.Range(1, 10).Select(Good)]);

        Assert.Equal(2, ReplayPrefetch.Run(few, new WarmupReplayOptions(), CancellationToken.None));
        Assert.Equal(ReplayPrefetch.MaxRecords, ReplayPrefetch.Run(many, new WarmupReplayOptions(), CancellationToken.None));
    }

    [Fact]
    public async Task Missing_corrupt_and_undecodable_files_end_it_quietly_for_the_replay_to_report()
    {
        var corrupt = _dir.File("corrupt");
        File.WriteAllBytes(corrupt, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
        var badTensor = Records.Write(_dir.File("bad-tensor"), Records.Predict(("x", new Format.Protos.TensorFlow.TensorProto
        {
            Dtype = Format.Protos.TensorFlow.DataType.DtFloat,
            TensorShape = new() { Dim = { new Format.Protos.TensorFlow.TensorShapeProto.Types.Dim { Size = -1 } } },
            FloatVal = { 1, 2 }, // a request tensor needs concrete sizes
        })));

        Assert.Equal(0, ReplayPrefetch.Run(_dir.File("absent"), new WarmupReplayOptions(), CancellationToken.None));
        Assert.Equal(0, ReplayPrefetch.Run(corrupt, new WarmupReplayOptions(), CancellationToken.None));
        Assert.Equal(0, ReplayPrefetch.Run(_dir.Path, new WarmupReplayOptions(), CancellationToken.None));
        Assert.Equal(0, await WarmupReplaySteps.StartPrefetch(badTensor, new WarmupReplayOptions(), CancellationToken.None));
    }

    [Fact]
    public void A_cancelled_prefetch_decodes_nothing()
    {
        var path = Records.Write(_dir.File("file"), Good(1), Good(2));
        Assert.Equal(0, ReplayPrefetch.Run(path, new WarmupReplayOptions(), new CancellationToken(canceled: true)));
    }
}
