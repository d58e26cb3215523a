using Microsoft.Extensions.Logging;

namespace LoadBalancer.Integration.Tests.Bgp;

/// <summary>Appends log lines to the file named by LB_BGP_LOG (debugging interop runs); nothing when unset.</summary>
internal sealed class FileLogger<T>(string path) : ILogger<T>
{
    private static readonly object s_gate = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (s_gate) File.AppendAllText(path, $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {eventId.Name}: {formatter(state, exception)} {exception}\n");
    }
}
