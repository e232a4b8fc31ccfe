using Microsoft.Extensions.Logging;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>Writes log lines to the running test's output, so a failing fault test shows what the daemon and listener did.</summary>
internal sealed class TestOutputLogger<T> : ILogger<T>
{
    private readonly ITestOutputHelper? _output = TestContext.Current.TestOutputHelper;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => _output is not null;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            _output?.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {typeof(T).Name} {logLevel}: {formatter(state, exception)}{(exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})")}");
        }
        catch (InvalidOperationException)
        {
            // The test has finished; background loops may outlive it by a moment.
        }
    }
}
