using EventSourcing.Testing;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

public sealed class FaultTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task A_connection_killed_in_the_middle_of_a_large_batch_leaves_nothing_behind()
    {
        const int BatchSize = 10_000;
        const int HaltAt = 6_000;
        var options = await fixture.CreateSchemaAsync("terminate");
        var schema = $"\"{options.Schema}\"";
        var stream = TestData.NewStream("killed");

        // A test-only trigger parks the append after it inserted HaltAt - 1 rows, on an advisory lock this
        // test holds, so the kill lands mid-batch by construction rather than by timing.
        await fixture.DataSource.ExecuteAsync($"""
            create function {schema}.park_mid_batch() returns trigger language plpgsql as $$
            begin
                if new.version = {HaltAt} then perform pg_advisory_xact_lock(4242); end if;
                return new;
            end $$;
            create trigger park_mid_batch before insert on {schema}.events for each row execute function {schema}.park_mid_batch();
            """);

        await using var appDataSource = new NpgsqlDataSourceBuilder(fixture.ConnectionString) { ConnectionStringBuilder = { ApplicationName = "es-victim" } }.Build();
        var store = new PostgresEventStore(appDataSource, TestSupport.NewRegistry(), options);
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);

        await using var locker = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var hold = await locker.BeginTransactionAsync(Ct);
        await using (var take = new NpgsqlCommand("select pg_advisory_xact_lock(4242)", locker, hold))
        {
            await take.ExecuteNonQueryAsync(Ct);
        }

        var sizeBefore = (long)(await fixture.DataSource.ScalarAsync($"select pg_relation_size('{schema}.events')"))!;
        var batch = Enumerable.Range(0, BatchSize).Select(i => new EventData(new Noted(new string('x', 200) + i))).ToArray();
        var append = store.AppendAsync(stream, ExpectedVersion.Exactly(1), batch, Ct).AsTask();

        var victim = 0;
        await TestSupport.WaitUntilAsync(async () =>
        {
            Assert.False(append.IsCompleted, "The append finished before it reached the parked row.");
            var pid = await fixture.DataSource.ScalarAsync("select pid from pg_stat_activity where application_name = 'es-victim' and wait_event_type = 'Lock' and wait_event = 'advisory'");
            victim = pid is int p ? p : 0;
            return victim != 0;
        });

        // The parked transaction has written thousands of (uncommitted) rows: the heap grew by far more than a page.
        var sizeWhileParked = (long)(await fixture.DataSource.ScalarAsync($"select pg_relation_size('{schema}.events')"))!;
        Assert.True(sizeWhileParked > sizeBefore + 1_000_000, $"{sizeBefore} -> {sizeWhileParked}");
        Assert.Equal(true, await fixture.DataSource.ScalarAsync("select pg_terminate_backend($1)", victim));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => append);
        Assert.True(error is NpgsqlException or EventStoreException, error.ToString());
        await hold.RollbackAsync(Ct);

        Assert.Equal(1L, await fixture.DataSource.ScalarAsync($"select count(*) from {schema}.events where stream_id = $1", stream.Value));
        Assert.Equal(1L, await fixture.DataSource.ScalarAsync($"select version from {schema}.streams where stream_id = $1", stream.Value));
        Assert.Equal(1, await store.GetStreamVersionAsync(stream, Ct));

        // The same batch, retried, goes in whole.
        await fixture.DataSource.ExecuteAsync($"drop trigger park_mid_batch on {schema}.events");
        var retry = await store.AppendAsync(stream, ExpectedVersion.Exactly(1), batch, Ct);
        Assert.Equal(BatchSize + 1, retry.NextExpectedVersion);
        var read = await store.ReadStreamListAsync(stream);
        Assert.Equal(Enumerable.Range(1, BatchSize + 1).Select(v => (long)v), read.Select(e => e.StreamVersion));
        Assert.Equal(batch.Select(e => e.EventId), read.Skip(1).Select(e => e.EventId));
    }

    [Fact]
    public async Task A_cancelled_append_writes_nothing()
    {
        var options = await fixture.CreateSchemaAsync("cancel");
        var schema = $"\"{options.Schema}\"";
        var stream = TestData.NewStream("cancelled");
        await fixture.DataSource.ExecuteAsync($"""
            create function {schema}.park() returns trigger language plpgsql as $$
            begin
                if new.version = 50 then perform pg_advisory_xact_lock(4343); end if;
                return new;
            end $$;
            create trigger park before insert on {schema}.events for each row execute function {schema}.park();
            """);
        await using var appDataSource = new NpgsqlDataSourceBuilder(fixture.ConnectionString) { ConnectionStringBuilder = { ApplicationName = "es-cancelled" } }.Build();
        var store = new PostgresEventStore(appDataSource, TestSupport.NewRegistry(), options);

        await using var locker = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var hold = await locker.BeginTransactionAsync(Ct);
        await using (var take = new NpgsqlCommand("select pg_advisory_xact_lock(4343)", locker, hold))
        {
            await take.ExecuteNonQueryAsync(Ct);
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var append = store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(100), cancel.Token).AsTask();
        await TestSupport.WaitUntilAsync(async () =>
            await fixture.DataSource.ScalarAsync("select count(*) from pg_stat_activity where application_name = 'es-cancelled' and wait_event = 'advisory'") is 1L);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => append);
        await hold.RollbackAsync(Ct);
        Assert.Equal(0L, await fixture.DataSource.ScalarAsync($"select count(*) from {schema}.events where stream_id = $1", stream.Value));
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }
}
