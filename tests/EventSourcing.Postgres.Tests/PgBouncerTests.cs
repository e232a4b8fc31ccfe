using System.Text;
using EventSourcing.Storage;
using EventSourcing.Testing;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// The backend through a real PgBouncer in TRANSACTION pooling mode with one or two server connections,
/// so clients share them: each failure a reviewer saw, forced. Clients are separate data sources (separate
/// Npgsql pools), as separate application instances are.
/// </summary>
public sealed class PgBouncerTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    private async Task<(string ConnectionString, PostgresOptions Options)> PooledAsync(int poolSize, string hint, bool migrate = true)
    {
        var pooler = await fixture.PoolerAsync(poolSize);
        var options = new PostgresOptions { Schema = PostgresFixture.NewSchemaName(hint), TransactionPooling = true };
        if (migrate)
        {
            await new PostgresSchemaInitializer(fixture.DataSource, options).ApplyAsync(Ct);
        }

        return (pooler.ConnectionString, options);
    }

    [Fact]
    public async Task Statements_of_different_shapes_from_two_clients_sharing_one_server_connection_each_run_as_themselves()
    {
        // One server connection: every statement of both clients runs on it. A statement one client
        // prepared there would be run (or refused as a duplicate name) when the other uses the same name.
        var (connectionString, options) = await PooledAsync(poolSize: 1, "shapes");
        await using var sourceA = NpgsqlDataSource.Create(connectionString);
        await using var sourceB = NpgsqlDataSource.Create(connectionString);
        var a = new PostgresEventStore(sourceA, TestSupport.NewRegistry(), options);
        var b = new PostgresEventStore(sourceB, TestSupport.NewRegistry(), options);
        var snapshotsA = new PostgresSnapshotStore(sourceA, options);
        var snapshotsB = new PostgresSnapshotStore(sourceB, options);

        var expectedLog = new List<Guid>();
        for (var round = 0; round < 3; round++)
        {
            var single = TestData.NewStream("single");
            var batch = TestData.NewStream("batch");
            var missing = TestData.NewStream("missing");

            var one = TestData.Increments(1);
            Assert.Equal(1, (await a.AppendAsync(single, ExpectedVersion.NoStream, one, Ct)).NextExpectedVersion);
            var three = TestData.Increments(3);
            Assert.Equal(3, (await b.AppendAsync(batch, ExpectedVersion.NoStream, three, Ct)).NextExpectedVersion);

            // The reviewer's case: an Exactly(2) batch to a missing stream must fail and write nothing.
            await Assert.ThrowsAsync<WrongExpectedVersionException>(async () => await a.AppendAsync(missing, ExpectedVersion.Exactly(2), TestData.Increments(3), Ct));
            var any = TestData.Increments(2, start: 2);
            Assert.Equal(3, (await b.AppendAsync(single, ExpectedVersion.Any, any, Ct)).NextExpectedVersion);
            var exact = TestData.Increments(2, start: 4);
            Assert.Equal(5, (await a.AppendAsync(batch, ExpectedVersion.Exactly(3), exact, Ct)).NextExpectedVersion);
            expectedLog.AddRange([.. one.Select(e => e.EventId), .. three.Select(e => e.EventId), .. any.Select(e => e.EventId), .. exact.Select(e => e.EventId)]);

            Assert.Equal([.. one.Select(e => e.EventId), .. any.Select(e => e.EventId)], (await b.ReadStreamListAsync(single)).Select(e => e.EventId));
            Assert.Equal([.. three.Select(e => e.EventId), .. exact.Select(e => e.EventId)], (await a.ReadStreamListAsync(batch)).Select(e => e.EventId));
            Assert.Empty(await b.ReadStreamListAsync(missing));
            Assert.Equal(0, await a.GetStreamVersionAsync(missing, Ct));
            Assert.Equal(expectedLog, (await b.ReadAllListAsync(GlobalPosition.Start)).Select(e => e.EventId));
            Assert.Equal(expectedLog, (await a.ReadAllListAsync(GlobalPosition.Start)).Select(e => e.EventId));

            var snapshot = new Snapshot(batch, 5, "counter", 1, Encoding.UTF8.GetBytes($"{{\"round\":{round}}}"), DateTimeOffset.UnixEpoch);
            await snapshotsA.SaveAsync(snapshot, Ct);
            Assert.Equal(5, (await snapshotsB.LoadAsync(batch, Ct))?.Version);
            Assert.Null(await snapshotsA.LoadAsync(missing, Ct));
        }

        // What the database holds agrees with what the clients were told.
        Assert.Equal((long)expectedLog.Count, await fixture.DataSource.ScalarAsync($"select count(*) from \"{options.Schema}\".events"));
        Assert.Equal(0L, await fixture.DataSource.ScalarAsync(
            $"select count(*) from \"{options.Schema}\".streams s where s.version <> (select count(*) from \"{options.Schema}\".events e where e.stream_id = s.stream_id)"));
    }

    [Fact]
    public async Task A_client_whose_next_transaction_runs_on_another_server_connection_still_runs_its_statements()
    {
        var (connectionString, options) = await PooledAsync(poolSize: 2, "moved");
        await using var source = NpgsqlDataSource.Create(connectionString);
        var store = new PostgresEventStore(source, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("moved");
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        await store.AppendAsync(stream, ExpectedVersion.Exactly(1), TestData.Increments(2, start: 2), Ct);
        Assert.Equal(3, (await store.ReadStreamListAsync(stream)).Count);
        Assert.Equal(3, (await store.ReadAllListAsync(GlobalPosition.Start)).Count);

        // Another client takes the server connection the store just used (PgBouncer hands out the most
        // recently used one) and keeps it in a transaction: the store's next transactions run on the other.
        await using var holder = new NpgsqlConnection(connectionString);
        await holder.OpenAsync(Ct);
        await using var transaction = await holder.BeginTransactionAsync(Ct);
        await using (var take = new NpgsqlCommand("select pg_backend_pid()", holder, transaction))
        {
            await take.ExecuteScalarAsync(Ct);
        }

        await store.AppendAsync(stream, ExpectedVersion.Exactly(3), TestData.Increments(1, start: 4), Ct);
        await store.AppendAsync(stream, ExpectedVersion.Exactly(4), TestData.Increments(2, start: 5), Ct);
        await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1, start: 7), Ct);
        Assert.Equal(Enumerable.Range(1, 7).Select(v => (long)v), (await store.ReadStreamListAsync(stream)).Select(e => e.StreamVersion));
        Assert.Equal(7, (await store.ReadAllListAsync(GlobalPosition.Start)).Count);
        await transaction.RollbackAsync(Ct);
    }

    [Fact]
    public async Task Four_initializers_applying_one_schema_at_once_through_the_pooler_all_succeed_and_apply_it_once()
    {
        var pooler = await fixture.PoolerAsync(poolSize: 2);
        for (var round = 0; round < 3; round++)
        {
            var options = new PostgresOptions { Schema = PostgresFixture.NewSchemaName("four_pooled"), TransactionPooling = true };
            var sources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(pooler.ConnectionString)).ToArray();
            try
            {
                using var start = new Barrier(4);
                var runs = sources.Select(source => Task.Run(async () =>
                {
                    var initializer = new PostgresSchemaInitializer(source, options);
                    start.SignalAndWait(Ct);
                    await initializer.ApplyAsync(Ct);
                })).ToArray();
                await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(60), Ct);
            }
            finally
            {
                foreach (var source in sources)
                {
                    await source.DisposeAsync();
                }
            }

            Assert.Equal((long)PostgresSchemaInitializer.LatestVersion, await fixture.DataSource.ScalarAsync($"select count(*) from \"{options.Schema}\".schema_version"));
            await new PostgresSchemaInitializer(fixture.DataSource, options).VerifyAsync(Ct);
        }

        // Nothing of a migration lock is left behind on the shared server connections: a later
        // initializer through the pooler does not hang.
        var later = new PostgresOptions { Schema = PostgresFixture.NewSchemaName("after_four"), TransactionPooling = true };
        await using var laterSource = NpgsqlDataSource.Create(pooler.ConnectionString);
        await new PostgresSchemaInitializer(laterSource, later).ApplyAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(0L, await fixture.DataSource.ScalarAsync("select count(*) from pg_locks where locktype = 'advisory'"));
    }

    [Fact]
    public async Task Two_instances_through_one_shared_server_connection_never_both_hold_a_projection_lease()
    {
        var (connectionString, options) = await PooledAsync(poolSize: 1, "leases");
        await using var sourceA = NpgsqlDataSource.Create(connectionString);
        await using var sourceB = NpgsqlDataSource.Create(connectionString);
        var a = new PostgresProjectionStore(sourceA, TestData.NewRegistry(), options);
        var b = new PostgresProjectionStore(sourceB, TestData.NewRegistry(), options);

        var held = await a.TryAcquireLeaseAsync("shared", Ct);
        Assert.NotNull(held);
        Assert.Null(await b.TryAcquireLeaseAsync("shared", Ct));
        Assert.Null(await a.TryAcquireLeaseAsync("shared", Ct));
        var other = await b.TryAcquireLeaseAsync("other", Ct);
        Assert.NotNull(other);
        Assert.Null(await a.TryAcquireLeaseAsync("other", Ct));

        await held.DisposeAsync();
        var taken = await b.TryAcquireLeaseAsync("shared", Ct);
        Assert.NotNull(taken);
        Assert.Null(await a.TryAcquireLeaseAsync("shared", Ct));
        await taken.DisposeAsync();
        await other.DisposeAsync();
        Assert.Equal(0L, await fixture.DataSource.ScalarAsync("select count(*) from pg_locks where locktype = 'advisory'"));
    }

    [Fact]
    public async Task Start_up_refuses_a_transaction_mode_pooler_unless_TransactionPooling_is_set_and_then_projections_follow_by_polling()
    {
        var pooler = await fixture.PoolerAsync(poolSize: 2);
        var schema = PostgresFixture.NewSchemaName("startup");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => TestProcess.StartAsync(pooler.ConnectionString, schema));
        Assert.Contains("PostgresOptions.TransactionPooling = true", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await fixture.DataSource.ScalarAsync("select count(*) from pg_namespace where nspname = $1", schema));

        // Directly, the probe sees two server processes and lets the same process start.
        await using (var direct = await TestProcess.StartAsync(fixture.ConnectionString, schema))
        {
            Assert.Equal(PostgresSchemaInitializer.LatestVersion, (int)(long)(await fixture.DataSource.ScalarAsync($"select count(*) from \"{schema}\".schema_version"))!);
        }

        // With the setting: the schema service, the store, the daemon (polling; nothing listens) and the notifier all work through the pooler.
        var totals = new TotalsProjection("pooled-totals");
        await using var reader = await TestProcess.StartAsync(pooler.ConnectionString, schema, totals, o => o.PollInterval = TimeSpan.FromMilliseconds(50), pg => pg.TransactionPooling = true);
        await using var writer = await TestProcess.StartAsync(pooler.ConnectionString, schema, postgres: pg => pg.TransactionPooling = true);
        var stream = TestData.NewStream("pooled");
        var result = await writer.Store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);
        await reader.Daemon.WaitForPositionAsync(totals.Name, result.Position, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(6, totals.TotalOf(stream));
        Assert.Equal(0L, await fixture.DataSource.ScalarAsync("select count(*) from pg_stat_activity where query like '/* eventsourcing listener */%'"));
    }

    [Fact]
    public void TransactionPooling_refuses_Npgsql_automatic_preparation_before_any_SQL()
    {
        var fromString = new PostgresOptions { ConnectionString = "Host=127.0.0.1;Max Auto Prepare=20", TransactionPooling = true };
        var error = Assert.Throws<ArgumentException>(fromString.Validate);
        Assert.Contains("Max Auto Prepare", error.Message, StringComparison.Ordinal);
        fromString.TransactionPooling = false;
        fromString.Validate();

        using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Max Auto Prepare=20");
        Assert.Throws<ArgumentException>(new PostgresOptions { DataSource = dataSource, TransactionPooling = true }.Validate);
    }
}
