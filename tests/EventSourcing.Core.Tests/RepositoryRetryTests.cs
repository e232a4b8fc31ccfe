using EventSourcing.Aggregates;
using EventSourcing.InMemory;
using EventSourcing.Testing;
using Microsoft.Extensions.Logging;
using Xunit;

namespace EventSourcing.Core.Tests;

public sealed class RepositoryRetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reruns_after_a_conflict_wait_a_jittered_back_off_that_doubles_up_to_its_cap_on_the_repositorys_clock()
    {
        var registry = TestData.NewRegistry();
        var store = new InMemoryEventStore(registry, TimeProvider.System);
        var clock = new RecordingTimeProvider();
        var logs = new ListLogger();
        var options = new RepositoryOptions { MaxConcurrencyRetries = 4, RetryDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromMilliseconds(300) };
        var repo = new AggregateRepository<Counter>(store, registry, options: options, logger: logs, timeProvider: clock);
        var stream = TestData.NewStream();
        var runs = 0;

        // The first four runs lose their race to another writer; the fifth wins.
        var outcome = await repo.ExecuteAsync(stream, async (c, ct) =>
        {
            if (++runs <= 4)
            {
                await store.AppendAsync(stream, ExpectedVersion.Any, [new EventData(new Noted("other"))], ct);
            }

            c.Increment(1);
        }, cancellationToken: Ct);

        Assert.Equal(5, runs);
        Assert.Equal(5, outcome.Append!.NextExpectedVersion);
        double[] ceilings = [100, 200, 300, 300];
        Assert.Equal(4, clock.Waits.Count);
        for (var i = 0; i < 4; i++)
        {
            Assert.InRange(clock.Waits[i].TotalMilliseconds, ceilings[i] / 2, ceilings[i]);
        }

        // Retries are detail, not news: Debug, with a stable event id.
        Assert.Equal(4, logs.Entries.Count);
        Assert.All(logs.Entries, e => Assert.Equal((LogLevel.Debug, 1001, "CommandRetry"), (e.Level, e.Id.Id, e.Id.Name)));
        Assert.Contains("attempt 1 of 5", logs.Entries[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zero_retry_delay_reruns_at_once()
    {
        var registry = TestData.NewRegistry();
        var store = new InMemoryEventStore(registry, TimeProvider.System);
        var clock = new RecordingTimeProvider();
        var repo = new AggregateRepository<Counter>(store, registry, options: new RepositoryOptions { RetryDelay = TimeSpan.Zero }, timeProvider: clock);
        var stream = TestData.NewStream();
        var runs = 0;

        await repo.ExecuteAsync(stream, async (c, ct) =>
        {
            if (++runs == 1)
            {
                await store.AppendAsync(stream, ExpectedVersion.Any, [new EventData(new Noted("other"))], ct);
            }

            c.Increment(1);
        }, cancellationToken: Ct);

        Assert.Equal(2, runs);
        Assert.Empty(clock.Waits);
    }

    [Fact]
    public void A_negative_retry_delay_is_refused()
    {
        var registry = TestData.NewRegistry();
        var store = new InMemoryEventStore(registry, TimeProvider.System);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AggregateRepository<Counter>(store, registry, options: new RepositoryOptions { RetryDelay = TimeSpan.FromMilliseconds(-1) }));
    }

    /// <summary>Records every timer's due time and fires it at once.</summary>
    private sealed class RecordingTimeProvider : TimeProvider
    {
        public List<TimeSpan> Waits { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Waits)
            {
                Waits.Add(dueTime);
            }

            return System.CreateTimer(callback, state, TimeSpan.Zero, period);
        }
    }

    private sealed class ListLogger : ILogger<AggregateRepository<Counter>>
    {
        public List<(LogLevel Level, EventId Id, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, eventId, formatter(state, exception)));
            }
        }
    }
}
