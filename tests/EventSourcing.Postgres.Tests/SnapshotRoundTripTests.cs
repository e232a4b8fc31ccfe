using EventSourcing.Aggregates;
using EventSourcing.Testing;
using EventSourcing.Testing.Postgres;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// What a load from a snapshot costs on the wire, counted by a <see cref="LostReplyProxy"/> in front of
/// the server (it only forwards and counts here): one round trip for the snapshot and its tail, and no
/// write, whatever the snapshot policy and however long the tail.
/// </summary>
public sealed class SnapshotRoundTripTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task A_load_from_a_snapshot_and_a_50_event_tail_is_one_round_trip_and_writes_no_snapshot()
    {
        var options = await fixture.CreateSchemaAsync("snap_trips");
        await using var proxy = new LostReplyProxy(fixture.ConnectionString);
        var builder = new NpgsqlDataSourceBuilder(proxy.ConnectionString);
        builder.ConnectionStringBuilder.MaxPoolSize = 1;
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        await using var proxied = builder.Build();
        var registry = TestSupport.NewRegistry();

        // Seeded directly: 10 events, a snapshot at 10, then a 50-event tail.
        var direct = new PostgresEventStore(fixture.DataSource, registry, options);
        var directSnapshots = new PostgresSnapshotStore(fixture.DataSource, options);
        var stream = TestData.NewStream("trips");
        await direct.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(10), Ct);
        Assert.Equal(10, await new AggregateRepository<Counter>(direct, registry, directSnapshots).SnapshotAsync(stream, Ct));
        await direct.AppendAsync(stream, ExpectedVersion.Exactly(10), TestData.Increments(50, start: 11), Ct);

        // A policy that would snapshot every 10 events: it applies to saves, never to loads.
        var repository = new AggregateRepository<Counter>(
            new PostgresEventStore(proxied, registry, options),
            registry,
            new PostgresSnapshotStore(proxied, options),
            new RepositoryOptions { Snapshots = SnapshotPolicy.Every(10) });

        // The first load on the one connection also prepares the statement; count the loads after it.
        await repository.LoadAsync(stream, Ct);
        var before = proxy.Exchanges;
        const int Loads = 5;
        for (var i = 0; i < Loads; i++)
        {
            var counter = await repository.LoadAsync(stream, Ct);
            Assert.Equal((60L, 60, 60 * 61 / 2), (counter.Version, counter.Count, counter.Total));
        }

        Assert.Equal(Loads, proxy.Exchanges - before);
        Assert.Equal(10, (await directSnapshots.LoadAsync(stream, Ct))!.Version);
    }
}
