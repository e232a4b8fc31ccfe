using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>
/// Stress: 16 writers over 100 streams (half contended: <c>Exactly(n)</c>, reload and retry with the
/// same event ids on conflict; half <c>Any</c>), a tailing global-log reader and an async projection
/// running throughout; then every acknowledged event stored exactly once, versions contiguous, the
/// global log equal to the acknowledged events with each stream in version order, the tailing reader's
/// sequence equal to the log, and the projection equal to a fresh replay (see <see cref="StressWorkload"/>).
/// A bounded size by default; 16 × 10,000 appends when <c>EVENTSOURCING_STRESS=long</c>.
/// </summary>
public abstract class StressConformance
{
    /// <summary>Creates an EMPTY event store (no events from other tests) and its projection store.</summary>
    protected abstract ValueTask<(IEventStore Events, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry);

    /// <summary>Appends per writer in the bounded (default) mode.</summary>
    protected virtual int BoundedAppendsPerWriter => 250;

    /// <summary>Appends per writer in the long mode.</summary>
    protected virtual int LongAppendsPerWriter => 10_000;

    [Fact]
    public async Task Sixteen_writers_half_contended_with_a_tailing_reader_and_an_async_projection_lose_duplicate_and_reorder_nothing()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry());
        var options = new StressOptions { AppendsPerWriter = StressOptions.LongMode ? LongAppendsPerWriter : BoundedAppendsPerWriter };

        var report = await new StressWorkload(options, events, events, projections).RunAsync();

        Assert.True(report.Conflicts > 0, $"The contended streams saw no conflict: {report}");
        Assert.Equal(0, report.UnknownOutcomes);
    }
}
