using EventSourcing.Testing;
using EventSourcing.Projections;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>Read models in the same database: their writes commit with the append (inline) or the checkpoint (async).</summary>
[Collection(HorizonCollection.Name)]
public sealed class ProjectionTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task An_inline_SQL_read_model_commits_with_the_append_or_not_at_all()
    {
        var options = await fixture.CreateSchemaAsync("inline_sql");
        var table = $"\"{options.Schema}\".totals";
        await fixture.DataSource.ExecuteAsync($"create table {table} (stream_id text primary key, total bigint not null, version bigint not null)");
        var projection = new SqlTotals(table) { FailOn = 13 };
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options) { InlineProjections = [projection] };
        var stream = TestData.NewStream("inline");

        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);
        Assert.Equal((6L, 3L), await TotalAsync(table, stream));

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(3), [new EventData(new Incremented(5)), new EventData(new Incremented(13))], Ct).AsTask());
        Assert.Equal((6L, 3L), await TotalAsync(table, stream));
        Assert.Equal(3, await store.GetStreamVersionAsync(stream, Ct));

        var conflict = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(1), TestData.Increments(1), Ct).AsTask());
        Assert.Equal(3, conflict.ActualVersion);

        var batch = TestData.Increments(2, 10);
        await store.AppendAsync(stream, ExpectedVersion.Exactly(3), batch, Ct);
        var again = await store.AppendAsync(stream, ExpectedVersion.Exactly(3), batch, Ct);
        Assert.True(again.AlreadyAppended);
        Assert.Equal((27L, 5L), await TotalAsync(table, stream));
    }

    [Fact]
    public async Task A_wait_for_an_appends_position_returns_once_it_is_projected_while_another_transaction_holds_the_log_horizon()
    {
        var options = await fixture.CreateSchemaAsync("held_horizon");
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var projections = new PostgresProjectionStore(fixture.DataSource, TestData.NewRegistry(), options);
        var stream = TestData.NewStream("held");
        var first = await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        var projection = new TotalsProjection("held");
        await using var daemon = new ProjectionDaemon(store, projections, [projection], new ProjectionOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
        await daemon.StartAsync(Ct);
        await daemon.WaitForPositionAsync("held", first.Position, Ct);

        // Another session (another test or application on the cluster) holds a transaction id...
        await using var other = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var open = await other.BeginTransactionAsync(Ct);
        await using (var xid = new NpgsqlCommand("select pg_current_xact_id()", other, open))
        {
            await xid.ExecuteScalarAsync(Ct);
        }

        // ...while this append commits: acknowledged, but above the gap-safe horizon, so a read of the log
        // right after it (the kit's former way to find the head) ends before it.
        var last = await store.AppendAsync(stream, ExpectedVersion.Exactly(1), TestData.Increments(1, 2), Ct);
        var head = GlobalPosition.Start;
        await foreach (var e in store.ReadAllAsync(GlobalPosition.Start, cancellationToken: Ct))
        {
            head = e.Position;
        }

        Assert.Equal(first.Position, head);
        Assert.Equal(first.Position, await store.GetHeadPositionAsync(Ct));
        Assert.True(last.Position > head);

        // A wait for that head returns before the append is projected: the read model lacks its event
        // (ProjectionConformance's rebuild test failed so, off by the last event's amount)...
        await daemon.WaitForPositionAsync("held", head, Ct);
        Assert.Equal(1, projection.TotalOf(stream));

        // ...a wait for the append's own position returns only once it is projected, after the other
        // transaction ends (the daemon's gap-safe reads cannot pass it before).
        var waiting = daemon.WaitForPositionAsync("held", last.Position, Ct);
        await Task.Delay(200, Ct);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, projection.TotalOf(stream));
        await open.RollbackAsync(Ct);
        await waiting;
        Assert.Equal(3, projection.TotalOf(stream));
    }

    [Fact]
    public async Task An_async_SQL_read_model_and_its_checkpoint_commit_together()
    {
        var options = await fixture.CreateSchemaAsync("async_sql");
        var table = $"\"{options.Schema}\".totals";
        await fixture.DataSource.ExecuteAsync($"create table {table} (stream_id text primary key, total bigint not null, version bigint not null)");
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var projections = new PostgresProjectionStore(fixture.DataSource, TestData.NewRegistry(), options);
        var streams = new[] { TestData.NewStream("a"), TestData.NewStream("b") };
        foreach (var stream in streams)
        {
            await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(30), Ct);
        }

        var last = await store.AppendAsync(streams[0], ExpectedVersion.Exactly(30), TestData.Increments(1, 100), Ct);
        var projection = new SqlTotals(table);
        await using (var daemon = new ProjectionDaemon(store, projections, [projection], new ProjectionOptions { BatchSize = 7, PollInterval = TimeSpan.FromMilliseconds(20) }))
        {
            await daemon.StartAsync(Ct);
            await daemon.WaitForPositionAsync(projection.Name, last.Position, Ct);
            await daemon.StopAsync(Ct);
        }

        Assert.Equal((565L, 31L), await TotalAsync(table, streams[0]));
        Assert.Equal((465L, 30L), await TotalAsync(table, streams[1]));
        Assert.Equal(last.Position, await new PostgresCheckpointStore(fixture.DataSource, options).LoadAsync(projection.Name, Ct));
        Assert.Equal(61L, await projections.CountEventsAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task A_lease_is_exclusive_across_instances_and_taken_over_once_its_holder_stops_renewing()
    {
        var options = await fixture.SchemaForAsync(GetType());
        await using var other = NpgsqlDataSource.Create(fixture.ConnectionString);
        var mine = new PostgresProjectionStore(fixture.DataSource, TestData.NewRegistry(), options);
        var theirs = new PostgresProjectionStore(other, TestData.NewRegistry(), options);

        var lease = await mine.TryAcquireLeaseAsync("leased", Ct);
        Assert.NotNull(lease);
        Assert.Null(await theirs.TryAcquireLeaseAsync("leased", Ct));
        var unrelated = await theirs.TryAcquireLeaseAsync("another", Ct);
        Assert.NotNull(unrelated);
        await unrelated.DisposeAsync();

        await lease.DisposeAsync();
        var taken = await theirs.TryAcquireLeaseAsync("leased", Ct);
        Assert.NotNull(taken);

        // The holder stops renewing (it died): once the row expires, by the server's clock, another takes it.
        Assert.Null(await mine.TryAcquireLeaseAsync("leased", Ct));
        await fixture.DataSource.ExecuteAsync($"update \"{options.Schema}\".projection_leases set expires_at = clock_timestamp() - interval '1 second' where name = 'leased'");
        var again = await mine.TryAcquireLeaseAsync("leased", Ct);
        Assert.NotNull(again);
        Assert.Null(await theirs.TryAcquireLeaseAsync("leased", Ct));
        await again.DisposeAsync();

        // The old holder's disposal deletes only its own row, not the new holder's.
        await taken.DisposeAsync();
        var last = await theirs.TryAcquireLeaseAsync("leased", Ct);
        Assert.NotNull(last);
        await last.DisposeAsync();
    }

    [Fact]
    public async Task A_held_lease_is_renewed_past_its_duration_and_a_holder_that_stops_renewing_loses_it_when_it_expires()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var shortLease = new PostgresOptions { Schema = options.Schema, ProjectionLeaseDuration = TimeSpan.FromSeconds(1) };
        await using var other = NpgsqlDataSource.Create(fixture.ConnectionString);
        var mine = new PostgresProjectionStore(fixture.DataSource, TestData.NewRegistry(), shortLease);
        var theirs = new PostgresProjectionStore(other, TestData.NewRegistry(), shortLease);

        var lease = await mine.TryAcquireLeaseAsync("renewed", Ct);
        Assert.NotNull(lease);
        var firstExpiry = (DateTime)(await fixture.DataSource.ScalarAsync($"select expires_at from \"{options.Schema}\".projection_leases where name = 'renewed'"))!;

        // Renewed every third of a second: its expiry moves forward and nobody else gets it meanwhile.
        await TestSupport.WaitUntilAsync(async () =>
            (DateTime)(await fixture.DataSource.ScalarAsync($"select expires_at from \"{options.Schema}\".projection_leases where name = 'renewed'"))! > firstExpiry.AddSeconds(1));
        Assert.Null(await theirs.TryAcquireLeaseAsync("renewed", Ct));

        // Its holder goes away without releasing (the pool that renews it is disposed): it expires and is taken.
        await using (var dying = NpgsqlDataSource.Create(fixture.ConnectionString))
        {
            var gone = await new PostgresProjectionStore(dying, TestData.NewRegistry(), shortLease).TryAcquireLeaseAsync("abandoned", Ct);
            Assert.NotNull(gone);
        }

        await TestSupport.WaitUntilAsync(async () => await theirs.TryAcquireLeaseAsync("abandoned", Ct) is { } taken && await Release(taken));
        await lease.DisposeAsync();
    }

    private static async Task<bool> Release(IAsyncDisposable lease)
    {
        await lease.DisposeAsync();
        return true;
    }

    [Fact]
    public async Task A_rebuild_unit_that_moves_only_its_shadow_checkpoint_commits_without_a_wal_flush_and_one_that_moves_the_live_checkpoint_commits_durably()
    {
        var options = await fixture.CreateSchemaAsync("shadow_commit");
        var store = new PostgresProjectionStore(fixture.DataSource, TestData.NewRegistry(), options);
        var (first, second) = (GlobalPosition.FromParts(1, 1), GlobalPosition.FromParts(1, 2));

        // A rebuild batch: only the shadow checkpoint moves.
        Assert.Equal("off", await SynchronousCommitAsync(store, isRebuild: true, ("p:rebuild", null, first)));

        // The swap: the shadow's position and the projection's own checkpoint in one unit, durable.
        Assert.Equal("on", await SynchronousCommitAsync(store, isRebuild: true, ("p:rebuild", first, second), ("p", null, second)));

        // Live units of work and inline ones keep the server's setting.
        Assert.Equal("on", await SynchronousCommitAsync(store, isRebuild: false, ("p", second, GlobalPosition.FromParts(1, 3))));
    }

    /// <summary>Saves the checkpoints in one unit of work and returns its synchronous_commit setting at commit time.</summary>
    private static async Task<string> SynchronousCommitAsync(PostgresProjectionStore store, bool isRebuild, params (string Name, GlobalPosition? Expected, GlobalPosition Position)[] moves)
    {
        var tx = await store.BeginAsync("p", isRebuild, Ct);
        await using (tx)
        {
            foreach (var (name, expected, position) in moves)
            {
                await tx.SaveCheckpointAsync(name, expected, position, Ct);
            }

            var context = (PostgresProjectionContext)tx.Context;
            await using var command = new NpgsqlCommand("select current_setting('synchronous_commit')", context.Connection, context.Transaction);
            var setting = (string)(await command.ExecuteScalarAsync(Ct))!;
            await tx.CommitAsync(Ct);
            return setting;
        }
    }

    private async Task<(long Total, long Version)> TotalAsync(string table, StreamId stream)
    {
        await using var command = fixture.DataSource.CreateCommand($"select total, version from {table} where stream_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = stream.Value });
        await using var reader = await command.ExecuteReaderAsync(Ct);
        return await reader.ReadAsync(Ct) ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }

    /// <summary>Per-stream totals in a SQL table, written through the unit of work's transaction.</summary>
    private sealed class SqlTotals(string table) : IProjection
    {
        public string Name => "sql-totals";

        public IReadOnlyCollection<string> EventTypes { get; } = ["incremented"];

        public int? FailOn { get; init; }

        public async ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
        {
            var by = ((Incremented)envelope.Event).By;
            var postgres = Assert.IsType<PostgresProjectionContext>(context);
            await using var command = new NpgsqlCommand(
                $"""
                insert into {table} as t (stream_id, total, version) values ($1, $2, $3)
                on conflict (stream_id) do update set total = t.total + excluded.total, version = excluded.version
                where t.version < excluded.version
                """,
                postgres.Connection,
                postgres.Transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = envelope.StreamId.Value });
            command.Parameters.Add(new NpgsqlParameter { Value = (long)by });
            command.Parameters.Add(new NpgsqlParameter { Value = envelope.StreamVersion });
            await command.ExecuteNonQueryAsync(cancellationToken);
            if (by == FailOn)
            {
                throw new InvalidOperationException($"Refusing {by}.");
            }
        }
    }
}
