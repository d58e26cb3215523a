using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LoadBalancer.Speaker.Tests.Hosting;

/// <summary>Keeps warnings and errors of the speaker hosts, to show them when a test fails.</summary>
internal sealed class CapturingLoggerProvider(string prefix) : ILoggerProvider
{
    public static ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(prefix, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string prefix, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            Lines.Enqueue($"{prefix} {category}: {formatter(state, exception)} {exception?.Message}");
            while (Lines.Count > 200) Lines.TryDequeue(out _);
        }
    }
}
