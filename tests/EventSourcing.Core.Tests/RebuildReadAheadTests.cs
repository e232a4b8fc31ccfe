using System.Runtime.CompilerServices;
using EventSourcing.InMemory;
using EventSourcing.Projections;
using EventSourcing.Storage;
using EventSourcing.Testing;
using Microsoft.Extensions.Logging;
using Xunit;

namespace EventSourcing.Core.Tests;

/// <summary>
/// A rebuild reads the log ahead of the batch it projects and commits (one read, cut into batches), so
/// reading and committing overlap; a read that fails part-way fails the rebuild instead of swapping in
/// the part that was read.
/// </summary>
public sealed class RebuildReadAheadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_rebuild_reads_the_next_batch_while_the_current_one_is_projected()
    {
        var (stream, probe, projections) = await SeedAsync(30);
        var totals = new TotalsProjection("totals");
        var first = true;
        var readWhileFirstBatchRan = -1L;
        totals.BeforeApply = async (_, ct) =>
        {
            if (first)
            {
                first = false;

                // The first event of the first batch (10 events): wait for the read to get past the second batch.
                readWhileFirstBatchRan = await probe.WaitForYieldedAsync(21, TimeSpan.FromSeconds(5), ct);
            }
        };
        await using var daemon = new ProjectionDaemon(probe, projections, [totals], new ProjectionOptions { BatchSize = 10 });

        Assert.Equal(30, await daemon.RebuildAsync("totals", cancellationToken: Ct));

        Assert.True(readWhileFirstBatchRan >= 21, $"while the first batch was projected the read had yielded {readWhileFirstBatchRan} events");
        Assert.Equal(Enumerable.Range(1, 30).Sum(), totals.TotalOf(stream));
    }

    [Fact]
    public async Task A_read_that_fails_part_way_fails_the_rebuild_and_leaves_the_live_read_model()
    {
        var (stream, probe, projections) = await SeedAsync(30);
        var totals = new TotalsProjection("totals");
        await using var daemon = new ProjectionDaemon(probe, projections, [totals], new ProjectionOptions { BatchSize = 10 });
        probe.FailAfter = 15;

        var error = await Assert.ThrowsAsync<IOException>(() => daemon.RebuildAsync("totals", cancellationToken: Ct));

        Assert.Equal("the log went away", error.Message);
        Assert.Equal(0, totals.TotalOf(stream));
        Assert.Null(daemon.GetStatus("totals").Checkpoint);
    }

    [Fact]
    public async Task A_rebuild_projects_while_the_store_counts_and_reports_the_total_once_it_is_in()
    {
        var (stream, probe, inner) = await SeedAsync(30);
        var projections = new SlowCount(inner);
        var totals = new TotalsProjection("totals");
        totals.BeforeApply = (_, _) =>
        {
            // The count ends only once an event is being projected: a rebuild that waits for the count first never gets here.
            projections.Release.TrySetResult();
            return Task.CompletedTask;
        };
        var reports = new List<RebuildProgress>();
        await using var daemon = new ProjectionDaemon(probe, projections, [totals], new ProjectionOptions { BatchSize = 10 });

        var done = await daemon.RebuildAsync("totals", new SyncProgress<RebuildProgress>(reports.Add), Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(30, done);
        Assert.Equal(Enumerable.Range(1, 30).Sum(), totals.TotalOf(stream));
        Assert.Equal([0L, 10, 20, 30, 30], reports.Select(r => r.EventsDone));
        Assert.All(reports, r => Assert.Equal(30, r.EventsTotal));
    }

    [Fact]
    public async Task A_count_that_fails_fails_the_rebuild_and_leaves_the_live_read_model()
    {
        var (stream, probe, inner) = await SeedAsync(30);
        var projections = new SlowCount(inner);
        projections.Release.SetException(new IOException("no count"));
        var totals = new TotalsProjection("totals");
        await using var daemon = new ProjectionDaemon(probe, projections, [totals], new ProjectionOptions { BatchSize = 10 });

        var error = await Assert.ThrowsAsync<IOException>(() => daemon.RebuildAsync("totals", new SyncProgress<RebuildProgress>(_ => { }), Ct));

        Assert.Equal("no count", error.Message);
        Assert.Equal(0, totals.TotalOf(stream));
        Assert.Null(daemon.GetStatus("totals").Checkpoint);
    }

    [Fact]
    public async Task A_rebuild_with_no_progress_and_no_log_to_feed_does_not_count_the_log()
    {
        var (stream, probe, inner) = await SeedAsync(30);
        var projections = new SlowCount(inner);
        projections.Release.SetResult();
        var totals = new TotalsProjection("totals");
        await using var daemon = new ProjectionDaemon(probe, projections, [totals], new ProjectionOptions { BatchSize = 10 });

        Assert.Equal(30, await daemon.RebuildAsync("totals", cancellationToken: Ct));
        Assert.Equal(0, projections.Counts);

        var reports = new List<RebuildProgress>();
        Assert.Equal(30, await daemon.RebuildAsync("totals", new SyncProgress<RebuildProgress>(reports.Add), Ct));
        Assert.Equal(1, projections.Counts);
        Assert.All(reports, r => Assert.Equal(30, r.EventsTotal));
        Assert.Equal(Enumerable.Range(1, 30).Sum(), totals.TotalOf(stream));

        // The start line (information) shows the total: a logger that takes it gets a count.
        var logger = new InformationLogger();
        await using var logged = new ProjectionDaemon(probe, projections, [new TotalsProjection("totals")], new ProjectionOptions { BatchSize = 10 }, logger);
        Assert.Equal(30, await logged.RebuildAsync("totals", cancellationToken: Ct));
        Assert.Equal(2, projections.Counts);
        Assert.Contains(logger.Lines, line => line.Contains("30 events in the log", StringComparison.Ordinal));
    }

    private static async Task<(StreamId Stream, ReadProbe Probe, InMemoryProjectionStore Projections)> SeedAsync(int events)
    {
        var registry = TestData.NewRegistry();
        var store = new InMemoryEventStore(registry);
        var stream = TestData.NewStream();
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(events), Ct);
        return (stream, new ReadProbe(store), new InMemoryProjectionStore(store, new InMemoryCheckpointStore()));
    }

    /// <summary>The in-memory store, counting the events its global-log reads yield (and failing them after <see cref="FailAfter"/>).</summary>
    private sealed class ReadProbe(InMemoryEventStore inner) : IEventStore
    {
        private readonly SemaphoreSlim _yielded = new(0);
        private long _count;

        public int? FailAfter { get; set; }

        /// <summary>Waits until the reads have yielded <paramref name="count"/> events in all, or the time is up; returns how many they yielded.</summary>
        public async Task<long> WaitForYieldedAsync(long count, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var until = DateTime.UtcNow + timeout;
            while (Interlocked.Read(ref _count) < count && DateTime.UtcNow < until)
            {
                await _yielded.WaitAsync(TimeSpan.FromTicks(Math.Max(0, (until - DateTime.UtcNow).Ticks)), cancellationToken);
            }

            return Interlocked.Read(ref _count);
        }

        public IAsyncEnumerable<EventEnvelope> ReadAllAsync(GlobalPosition after, long maxCount = long.MaxValue, IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default) =>
            CountAsync(inner.ReadAllAsync(after, maxCount, eventTypes, cancellationToken), cancellationToken);

        public ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default) =>
            inner.AppendAsync(streamId, expectedVersion, events, cancellationToken);

        public IAsyncEnumerable<EventEnvelope> ReadStreamAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default) =>
            inner.ReadStreamAsync(streamId, fromVersion, maxCount, cancellationToken);

        public IAsyncEnumerable<EventEnvelope> ReadStreamBackwardsAsync(StreamId streamId, long fromVersion = long.MaxValue, long maxCount = long.MaxValue, CancellationToken cancellationToken = default) =>
            inner.ReadStreamBackwardsAsync(streamId, fromVersion, maxCount, cancellationToken);

        public ValueTask<GlobalPosition> GetHeadPositionAsync(CancellationToken cancellationToken = default) => inner.GetHeadPositionAsync(cancellationToken);

        public ValueTask<EventEnvelope?> ReadEventAsync(StreamId streamId, Guid eventId, CancellationToken cancellationToken = default) =>
            inner.ReadEventAsync(streamId, eventId, cancellationToken);

        public ValueTask<long> GetStreamVersionAsync(StreamId streamId, CancellationToken cancellationToken = default) =>
            inner.GetStreamVersionAsync(streamId, cancellationToken);

        private async IAsyncEnumerable<EventEnvelope> CountAsync(IAsyncEnumerable<EventEnvelope> events, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var e in events.WithCancellation(cancellationToken))
            {
                if (Interlocked.Read(ref _count) >= FailAfter)
                {
                    throw new IOException("the log went away");
                }

                Interlocked.Increment(ref _count);
                _yielded.Release();
                yield return e;
            }
        }
    }

    /// <summary>The in-memory projection store, whose count ends only when <see cref="Release"/> is completed.</summary>
    private sealed class SlowCount(InMemoryProjectionStore inner) : IProjectionStore
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Counts { get; private set; }

        public async ValueTask<long> CountEventsAsync(IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default)
        {
            Counts++;
            await Release.Task.WaitAsync(cancellationToken);
            return await inner.CountEventsAsync(eventTypes, cancellationToken);
        }

        public ValueTask<ProjectionTransaction> BeginAsync(string projectionName, bool isRebuild, CancellationToken cancellationToken = default) =>
            inner.BeginAsync(projectionName, isRebuild, cancellationToken);

        public ValueTask<ProjectionLease?> TryAcquireLeaseAsync(string projectionName, CancellationToken cancellationToken = default) =>
            inner.TryAcquireLeaseAsync(projectionName, cancellationToken);

        public ValueTask<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(string projectionName, CancellationToken cancellationToken = default) =>
            inner.GetDeadLettersAsync(projectionName, cancellationToken);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private sealed class InformationLogger : ILogger<ProjectionDaemon>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception));
            }
        }
    }
}
