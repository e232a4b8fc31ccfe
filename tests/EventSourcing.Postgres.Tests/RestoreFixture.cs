using EventSourcing.Testing;
using EventSourcing.Testing.Postgres;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// Two dedicated throwaway clusters for the restore tests: A, whose transaction counter is far ahead
/// (epoch <see cref="SourceEpoch"/>, as on a server that has run for years), holding a database with the
/// schema, events in several streams and saved checkpoints; and B, fresh, whose counter is near 0. Each
/// test restores A's database into its own database on B with pg_dump and pg_restore.
/// </summary>
public sealed class RestoreFixture : IAsyncLifetime
{
    /// <summary>The epoch of A's transaction counter: its 64-bit transaction ids start at 3 &lt;&lt; 32.</summary>
    public const uint SourceEpoch = 3;

    /// <summary>The checkpoint saved at A's last event.</summary>
    public const string EndCheckpoint = "reader-at-end";

    /// <summary>The checkpoint saved in the middle of A's log.</summary>
    public const string MiddleCheckpoint = "reader-in-middle";

    private const string SourceDatabase = "restore_source";
    private PostgresServer? _source;
    private PostgresServer? _target;

    /// <summary>The schema on A (and so on every restored database): not the default, so the dump must carry it.</summary>
    public PostgresOptions Options { get; } = new() { Schema = "restored_es" };

    /// <summary>A's global log, as a reader read it from the start.</summary>
    public IReadOnlyList<EventEnvelope> OldLog { get; private set; } = [];

    /// <summary>The streams written on A, each with its event ids in version order.</summary>
    public IReadOnlyDictionary<StreamId, List<Guid>> OldStreams { get; private set; } = new Dictionary<StreamId, List<Guid>>();

    /// <summary>A's transaction counter (the next id) before the first event: every event on A has an id at least this.</summary>
    public long SourceCounterBeforeEvents { get; private set; }

    public async ValueTask InitializeAsync()
    {
        // Never skipped: like the server-restart test, this needs dedicated clusters from local binaries.
        Assert.True(PostgresServer.HasLocalBinaries, "A dump/restore between two clusters needs local PostgreSQL binaries (/usr/lib/postgresql/*/bin: initdb, pg_ctl, pg_resetwal, pg_dump, pg_restore); install the postgresql package.");
        var ct = TestContext.Current.CancellationToken;
        // Both at once (initdb is most of the cost); whichever started is stopped if the other failed.
        var source = PostgresServer.StartLocalAsync(SourceEpoch, ct);
        var target = PostgresServer.StartLocalAsync(transactionEpoch: 0, ct);
        try
        {
            await Task.WhenAll(source, target);
        }
        catch
        {
            foreach (var started in new[] { source, target }.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        (_source, _target) = (source.Result, target.Result);
        await FillSourceAsync(ct);
    }

    private async Task FillSourceAsync(CancellationToken ct)
    {
        await using var source = NpgsqlDataSource.Create(await _source!.CreateDatabaseAsync(SourceDatabase, ct));
        SourceCounterBeforeEvents = await CounterAsync(source);
        Assert.True(SourceCounterBeforeEvents >= (long)SourceEpoch << 32, $"pg_resetwal -e {SourceEpoch} should have moved A's transaction counter to at least {(long)SourceEpoch << 32}; it is {SourceCounterBeforeEvents}.");

        await new PostgresSchemaInitializer(source, Options).ApplyAsync(ct);
        var store = new PostgresEventStore(source, TestSupport.NewRegistry(), Options);
        var streams = Enumerable.Range(0, 5).Select(i => new StreamId($"old-{i}")).ToDictionary(s => s, _ => new List<Guid>());

        // Three rounds over five streams, two events per append: the global log interleaves the streams.
        for (var round = 0; round < 3; round++)
        {
            foreach (var (stream, ids) in streams)
            {
                var batch = TestData.Increments(2, start: round * 2 + 1);
                var expected = round == 0 ? ExpectedVersion.NoStream : ExpectedVersion.Exactly(ids.Count);
                await store.AppendAsync(stream, expected, batch, ct);
                ids.AddRange(batch.Select(e => e.EventId));
            }
        }

        OldStreams = streams;
        OldLog = await ReadAllAsync(store, GlobalPosition.Start);
        Assert.Equal(30, OldLog.Count);

        var checkpoints = new PostgresCheckpointStore(source, Options);
        await checkpoints.SaveAsync(EndCheckpoint, expected: null, OldLog[^1].Position, ct);
        await checkpoints.SaveAsync(MiddleCheckpoint, expected: null, OldLog[14].Position, ct);
    }

    /// <summary>Restores A's database into a new database on B (pg_dump, pg_restore) and returns its connection string.</summary>
    public Task<string> RestoreIntoFreshClusterAsync(string database) =>
        (_source ?? throw new InvalidOperationException("Not initialized.")).CopyDatabaseAsync(SourceDatabase, _target!, database, TestContext.Current.CancellationToken);

    /// <summary>The cluster's transaction counter: the next 64-bit transaction id it will assign (none is taken by asking).</summary>
    public static async Task<long> CounterAsync(NpgsqlDataSource dataSource) =>
        (long)(await dataSource.ScalarAsync("select pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))!;

    /// <summary>The whole global log after a position, through the store's public read.</summary>
    public static async Task<List<EventEnvelope>> ReadAllAsync(PostgresEventStore store, GlobalPosition after, int maxCount = int.MaxValue)
    {
        var result = new List<EventEnvelope>();
        await foreach (var e in store.ReadAllAsync(after, maxCount, cancellationToken: TestContext.Current.CancellationToken))
        {
            result.Add(e);
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_target is not null)
        {
            await _target.DisposeAsync();
        }

        if (_source is not null)
        {
            await _source.DisposeAsync();
        }
    }
}
