using Microsoft.Extensions.Logging;

namespace Warmup.Runtime.CpuPackage.Tests;

/// <summary>With the CPU-only package, Auto choosing the CPU is expected: said once at Information, never a warning.</summary>
public sealed class AutoProviderLoggingTests
{
    [Fact]
    public void Auto_on_the_cpu_package_says_so_once_at_information_and_never_warns()
    {
        var logger = new ListLogger();
        for (var i = 0; i < 3; i++)
        {
            using var options = ExecutionProviders.CreateSessionOptions(ExecutionProvider.Auto, logger: logger).Options;
        }

        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
        // Once per process (the only test here that passes a logger; callers without one do not use the message up).
        var entry = Assert.Single(logger.Entries, e => e.EventId == 20);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", entry.Message, StringComparison.Ordinal);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, int EventId, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, eventId.Id, formatter(state, exception)));
    }
}
