using EventSourcing.Aggregates;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>Aggregate loading and saving, snapshots and temporal loads, over a backend's stores.</summary>
public abstract partial class RepositoryConformance
{
    /// <summary>Creates (or hands out) an event store and a snapshot store using this registry and clock.</summary>
    protected abstract ValueTask<(IEventStore Events, ISnapshotStore Snapshots)> CreateStoresAsync(EventTypeRegistry registry, TimeProvider timeProvider);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(AggregateRepository<T> Repository, IEventStore Events, ISnapshotStore Snapshots)> RepositoryAsync<T>(SnapshotPolicy? policy = null, TimeProvider? time = null, int retries = 3)
        where T : AggregateRoot, new()
    {
        var registry = TestData.NewRegistry();
        var (events, snapshots) = await CreateStoresAsync(registry, time ?? new ManualTimeProvider());
        var options = new RepositoryOptions { Snapshots = policy ?? SnapshotPolicy.Never, MaxConcurrencyRetries = retries };
        return (new AggregateRepository<T>(events, registry, snapshots, options), events, snapshots);
    }

    [Fact]
    public async Task Loading_a_missing_aggregate_gives_a_new_one_at_version_zero()
    {
        var (repo, _, _) = await RepositoryAsync<Counter>();
        var counter = await repo.LoadAsync(TestData.NewStream(), Ct);
        Assert.Equal(0, counter.Version);
        Assert.Equal(0, counter.Total);
        Assert.Empty(counter.UncommittedEvents);
    }

    [Fact]
    public async Task Saved_events_replay_into_the_same_state()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>();
        var stream = TestData.NewStream();
        var counter = new Counter();
        counter.Increment(2);
        counter.Increment(3);
        counter.Note("hi");
        var metadata = new EventMetadata { CorrelationId = "c-1" };

        var result = await repo.SaveAsync(stream, counter, metadata, Ct);

        Assert.Equal(3, result!.NextExpectedVersion);
        Assert.Empty(counter.UncommittedEvents);
        Assert.Equal(3, counter.PersistedVersion);
        var loaded = await repo.LoadAsync(stream, Ct);
        Assert.Equal((5, 3, "hi", 3L), (loaded.Total, loaded.Count, loaded.LastNote, loaded.Version));
        await foreach (var e in events.ReadStreamAsync(stream, cancellationToken: Ct))
        {
            Assert.Equal("c-1", e.Metadata.CorrelationId);
        }

        Assert.Null(await repo.SaveAsync(stream, loaded, cancellationToken: Ct));
    }

    [Fact]
    public async Task A_rejected_command_raises_nothing()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>();
        var stream = TestData.NewStream();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => repo.ExecuteAsync(stream, c => c.Increment(-1), cancellationToken: Ct));
        Assert.Equal(0, await events.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task Saving_a_stale_aggregate_is_a_concurrency_conflict()
    {
        var (repo, _, _) = await RepositoryAsync<Counter>();
        var stream = TestData.NewStream();
        await repo.ExecuteAsync(stream, c => c.Increment(1), cancellationToken: Ct);
        var first = await repo.LoadAsync(stream, Ct);
        var second = await repo.LoadAsync(stream, Ct);
        first.Increment(10);
        second.Increment(20);
        await repo.SaveAsync(stream, first, cancellationToken: Ct);

        var ex = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => repo.SaveAsync(stream, second, cancellationToken: Ct));

        Assert.Equal(1, ex.Expected.Value);
        Assert.Equal(2, ex.ActualVersion);
        Assert.Equal(11, (await repo.LoadAsync(stream, Ct)).Total);
    }

    [Fact]
    public async Task Execute_retries_lost_races_so_every_command_counts_once()
    {
        var (repo, _, _) = await RepositoryAsync<Counter>(retries: 100);
        var stream = TestData.NewStream();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await repo.ExecuteAsync(stream, c => c.Increment(1), cancellationToken: Ct);
            }
        }, Ct)));

        var counter = await repo.LoadAsync(stream, Ct);
        Assert.Equal(80, counter.Total);
        Assert.Equal(80, counter.Version);
    }

    [Fact]
    public async Task Snapshot_plus_tail_equals_full_replay_for_random_streams()
    {
        var random = new Random(20261128);
        var (withSnapshots, events, snapshots) = await RepositoryAsync<Counter>(SnapshotPolicy.Every(7));
        for (var round = 0; round < 12; round++)
        {
            var stream = TestData.NewStream();
            var saves = random.Next(1, 8);
            for (var s = 0; s < saves; s++)
            {
                var counter = await withSnapshots.LoadAsync(stream, Ct);
                for (var n = random.Next(1, 9); n > 0; n--)
                {
                    if (random.Next(4) == 0)
                    {
                        counter.Note($"note {round}/{s}/{n}");
                    }
                    else
                    {
                        counter.Increment(random.Next(1, 100));
                    }
                }

                await withSnapshots.SaveAsync(stream, counter, cancellationToken: Ct);
            }

            var fast = await withSnapshots.LoadAsync(stream, Ct);
            var full = await new AggregateRepository<Counter>(events, TestData.NewRegistry()).LoadAsync(stream, Ct);
            Assert.Equal((full.Total, full.Count, full.LastNote, full.Version), (fast.Total, fast.Count, fast.LastNote, fast.Version));
            var snapshot = await snapshots.LoadAsync(stream, Ct);
            if (fast.Version >= 7)
            {
                Assert.NotNull(snapshot);
                Assert.True(snapshot.Version <= fast.Version);
            }
        }
    }

    [Fact]
    public async Task A_snapshot_is_used_on_load()
    {
        var (repo, _, snapshots) = await RepositoryAsync<Counter>(SnapshotPolicy.Every(5));
        var stream = TestData.NewStream();
        for (var i = 0; i < 6; i++)
        {
            await repo.ExecuteAsync(stream, c => c.Increment(1), cancellationToken: Ct);
        }

        var snapshot = await snapshots.LoadAsync(stream, Ct);
        Assert.Equal(5, snapshot!.Version);

        // Overwrite the snapshot with a state the events could never produce: a load that uses it shows it.
        var forged = System.Text.Encoding.UTF8.GetBytes("{\"total\":1000,\"count\":5,\"lastNote\":\"from snapshot\"}");
        await snapshots.SaveAsync(snapshot with { State = forged }, Ct);
        var loaded = await repo.LoadAsync(stream, Ct);
        Assert.Equal(1001, loaded.Total);
        Assert.Equal("from snapshot", loaded.LastNote);
        Assert.Equal(6, loaded.Version);
    }

    [Fact]
    public async Task A_snapshot_of_another_schema_version_is_ignored_and_replaced()
    {
        var registry = TestData.NewRegistry();
        var (events, snapshots) = await CreateStoresAsync(registry, new ManualTimeProvider());
        var options = new RepositoryOptions { Snapshots = SnapshotPolicy.Every(2) };
        var v1 = new AggregateRepository<Counter>(events, registry, snapshots, options);
        var v2 = new AggregateRepository<CounterSchemaV2>(events, registry, snapshots, options);
        var stream = TestData.NewStream();
        await v1.ExecuteAsync(stream, c => { c.Increment(4); c.Increment(5); }, cancellationToken: Ct);
        var old = await snapshots.LoadAsync(stream, Ct);
        Assert.Equal(1, old!.SchemaVersion);

        // Poison the old snapshot: if v2 read it, the total would be wrong.
        await snapshots.SaveAsync(old with { State = System.Text.Encoding.UTF8.GetBytes("{\"total\":-1,\"count\":2}") }, Ct);
        var loaded = await v2.LoadAsync(stream, Ct);

        Assert.Equal(9, loaded.Total);
        var replaced = await snapshots.LoadAsync(stream, Ct);
        Assert.Equal(2, replaced!.SchemaVersion);
        Assert.Equal(2, replaced.Version);
    }

    [Fact]
    public async Task A_corrupt_snapshot_is_ignored()
    {
        var (repo, _, snapshots) = await RepositoryAsync<Counter>(SnapshotPolicy.Every(1));
        var stream = TestData.NewStream();
        await repo.ExecuteAsync(stream, c => c.Increment(3), cancellationToken: Ct);
        var snapshot = await snapshots.LoadAsync(stream, Ct);
        await snapshots.SaveAsync(snapshot! with { State = "{not json"u8.ToArray() }, Ct);

        var loaded = await repo.LoadAsync(stream, Ct);

        Assert.Equal(3, loaded.Total);
        Assert.Equal(1, loaded.Version);
    }

    [Fact]
    public async Task Loading_at_every_version_equals_replaying_the_prefix()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>(SnapshotPolicy.Every(4));
        var stream = TestData.NewStream();
        var amounts = new[] { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3 };
        foreach (var amount in amounts)
        {
            await repo.ExecuteAsync(stream, c => c.Increment(amount), cancellationToken: Ct);
        }

        for (var v = 0; v <= amounts.Length; v++)
        {
            var at = await repo.LoadAtVersionAsync(stream, v, Ct);
            Assert.Equal(v, at.Version);
            Assert.Equal(amounts.Take(v).Sum(), at.Total);
        }

        Assert.Equal(amounts.Sum(), (await repo.LoadAtVersionAsync(stream, 99, Ct)).Total);
        Assert.Equal(10, await events.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task Loading_as_of_a_time_includes_exactly_the_events_appended_until_then()
    {
        var time = new ManualTimeProvider();
        var (repo, _, _) = await RepositoryAsync<Counter>(SnapshotPolicy.Every(2), time);
        var stream = TestData.NewStream();
        var start = time.GetUtcNow();
        for (var i = 1; i <= 6; i++)
        {
            await repo.ExecuteAsync(stream, c => c.Increment(i), cancellationToken: Ct);
            time.Advance(TimeSpan.FromMinutes(1));
        }

        // Event i was appended at start + (i - 1) minutes.
        Assert.Equal(0, (await repo.LoadAsOfAsync(stream, start - TimeSpan.FromSeconds(1), Ct)).Version);
        for (var i = 1; i <= 6; i++)
        {
            var asOf = await repo.LoadAsOfAsync(stream, start + TimeSpan.FromMinutes(i - 1) + TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(i, asOf.Version);
            Assert.Equal(Enumerable.Range(1, i).Sum(), asOf.Total);
        }
    }

    [Fact]
    public async Task Events_between_two_times_are_the_ones_appended_in_that_range()
    {
        var time = new ManualTimeProvider();
        var (repo, events, _) = await RepositoryAsync<Counter>(time: time);
        var stream = TestData.NewStream();
        var start = time.GetUtcNow();
        for (var i = 1; i <= 5; i++)
        {
            await repo.ExecuteAsync(stream, c => c.Increment(i), cancellationToken: Ct);
            time.Advance(TimeSpan.FromHours(1));
        }

        var between = new List<long>();
        await foreach (var e in events.ReadStreamBetweenAsync(stream, start + TimeSpan.FromHours(1), start + TimeSpan.FromHours(3), Ct))
        {
            between.Add(e.StreamVersion);
        }

        Assert.Equal([2L, 3L, 4L], between);
    }

    [Fact]
    public async Task Snapshots_written_in_the_background_match_the_committed_version()
    {
        var registry = TestData.NewRegistry();
        var (events, snapshots) = await CreateStoresAsync(registry, new ManualTimeProvider());
        var repo = new AggregateRepository<Counter>(events, registry, snapshots, new RepositoryOptions { Snapshots = SnapshotPolicy.Every(3), WriteSnapshotsInBackground = true });
        var stream = TestData.NewStream();
        for (var i = 0; i < 3; i++)
        {
            await repo.ExecuteAsync(stream, c => c.Increment(2), cancellationToken: Ct);
        }

        Snapshot? snapshot = null;
        for (var wait = 0; wait < 200 && snapshot is null; wait++)
        {
            snapshot = await snapshots.LoadAsync(stream, Ct);
            if (snapshot is null)
            {
                await Task.Delay(25, Ct);
            }
        }

        Assert.NotNull(snapshot);
        Assert.Equal(3, snapshot.Version);
        Assert.Equal(6, (await repo.LoadAsync(stream, Ct)).Total);
    }

    [Fact]
    public async Task Deleted_snapshots_can_be_rebuilt_per_aggregate()
    {
        var (repo, _, snapshots) = await RepositoryAsync<Counter>(SnapshotPolicy.Every(2));
        var streams = new[] { TestData.NewStream(), TestData.NewStream() };
        foreach (var stream in streams)
        {
            await repo.ExecuteAsync(stream, c => { c.Increment(1); c.Increment(2); c.Increment(3); }, cancellationToken: Ct);
        }

        Assert.True(await snapshots.DeleteAllAsync("counter", Ct) >= 2);
        Assert.Null(await snapshots.LoadAsync(streams[0], Ct));

        foreach (var stream in streams)
        {
            Assert.Equal(3, await repo.SnapshotAsync(stream, Ct));
            Assert.Equal(3, (await snapshots.LoadAsync(stream, Ct))!.Version);
        }

        Assert.Equal(0, await repo.SnapshotAsync(TestData.NewStream(), Ct));
    }
}
