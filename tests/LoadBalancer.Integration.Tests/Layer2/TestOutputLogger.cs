using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace LoadBalancer.Integration.Tests.Layer2;

/// <summary>Writes log lines to the test output (dropped once the test has finished).</summary>
internal sealed class TestOutputLogger(ITestOutputHelper output, string prefix) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {prefix} {logLevel} {eventId.Id} {formatter(state, exception)} {exception}");
        }
        catch (InvalidOperationException)
        {
            // The test is over; nobody is listening.
        }
    }
}
