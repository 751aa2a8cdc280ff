using Microsoft.Extensions.Hosting;

namespace Warmup.Runtime.Hosting;

/// <summary>Loads and warms every registered model when the host starts; cancels background warmups when it stops.</summary>
internal sealed class WarmupHostedService : IHostedService, IDisposable
{
    private readonly WarmedOnnxModels _models;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _background = [];

    public WarmupHostedService(WarmedOnnxModels models) => _models = models;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var blocking = new List<Task>();
        foreach (var model in _models)
        {
            if (model.StartupMode == WarmupStartupMode.Background)
            {
                // Failures are kept in the model's state and reported by the readiness health check.
                _background.Add(Task.Run(async () =>
                {
                    try
                    {
                        await model.LoadAsync(_stopping.Token).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        // Logged and recorded by the model.
                    }
                }, CancellationToken.None));
            }
            else
            {
                blocking.Add(LoadBlockingAsync(model, cancellationToken));
            }
        }

        await Task.WhenAll(blocking).ConfigureAwait(false);
    }

    private async Task LoadBlockingAsync(WarmedOnnxModel model, CancellationToken startupToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(startupToken, _stopping.Token);
        await model.LoadAsync(linked.Token).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Cancelling sets ONNX Runtime's terminate flag on the run in flight; it is checked between graph nodes, so a
        // warmup ends when the node in flight finishes (measured: docs/hosting.md, "Shutdown during warmup").
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_background).WaitAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(_models.Select(m => m.StopServingAsync())).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();
}
