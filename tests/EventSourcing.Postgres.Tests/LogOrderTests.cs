using EventSourcing.Testing;
using Npgsql;
using NpgsqlTypes;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// Per stream, global-log order = version order, on every write path. The log is ordered by the
/// writing transaction's id, which a transaction may take before it gets the stream's lock; the
/// database refuses such an append (ES503) and the store retries it in a new transaction.
/// </summary>
public sealed class LogOrderTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task An_append_in_a_transaction_older_than_the_streams_last_writer_is_refused()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("caller-tx");

        // A caller's transaction takes its id first...
        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await using (var takeId = new NpgsqlCommand("select pg_current_xact_id()", connection, transaction))
        {
            await takeId.ExecuteScalarAsync(Ct);
        }

        // ...a newer transaction writes version 1 and commits...
        await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1), Ct);

        // ...and the older one may not put version 2 before it in the global log.
        var refused = await Assert.ThrowsAsync<PostgresException>(() => CallAppendAsync(connection, transaction, options.Schema, stream, Guid.CreateVersion7()));
        Assert.Equal("ES503", refused.SqlState);
        await transaction.RollbackAsync(Ct);

        var events = await store.ReadStreamListAsync(stream);
        Assert.Equal([1L], events.Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task A_writer_that_loses_the_race_to_create_a_stream_after_taking_its_id_is_retried_after_the_winner()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var schema = PostgresSql(options.Schema);
        var stream = TestData.NewStream("lost-create");

        // Force the interleaving: the loser's insert of the stream row takes its transaction id and then
        // waits (on an advisory lock the test holds) while the winner creates the stream and commits.
        // Without the order guard, the loser would then lock the row and write version 2 under its older id.
        const long Gate = 7_303_303;
        await fixture.DataSource.ExecuteAsync($"""
            create or replace function {schema}.test_pause_loser() returns trigger language plpgsql as $$
            begin
                if current_setting('application_name') = 'loser' then
                    perform pg_current_xact_id();
                    perform pg_advisory_xact_lock({Gate});
                end if;
                return new;
            end $$;
            drop trigger if exists test_pause_loser on {schema}.streams;
            create trigger test_pause_loser before insert on {schema}.streams for each row execute function {schema}.test_pause_loser();
            """);
        try
        {
            // Not pooled: if the test fails half-way, closing the connection releases the gate, so the
            // paused loser cannot hold the cluster's global-log horizon back for the tests after it.
            await using var gate = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Pooling = false }.ConnectionString);
            await gate.OpenAsync(Ct);
            await using (var hold = new NpgsqlCommand($"select pg_advisory_lock({Gate})", gate))
            {
                await hold.ExecuteNonQueryAsync(Ct);
            }

            await using var loserSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { ApplicationName = "loser", Pooling = false }.ConnectionString);
            var loser = new PostgresEventStore(loserSource, TestSupport.NewRegistry(), options);
            var winner = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);

            var loserEvent = TestData.Increments(1, 2);
            var loserAppend = loser.AppendAsync(stream, ExpectedVersion.Any, loserEvent, Ct).AsTask();
            await TestSupport.WaitUntilAsync(async () =>
                await fixture.DataSource.ScalarAsync("select count(*) from pg_stat_activity where application_name = 'loser' and wait_event_type = 'Lock' and backend_xid is not null") is 1L);

            // NoStream takes the single-statement path, which does not queue behind the function's
            // per-stream advisory lock that the paused loser holds.
            var won = await winner.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1, 1), Ct);
            Assert.Equal(1L, won.NextExpectedVersion);

            await using (var release = new NpgsqlCommand($"select pg_advisory_unlock({Gate})", gate))
            {
                await release.ExecuteNonQueryAsync(Ct);
            }

            var lost = await loserAppend;
            Assert.Equal(2L, lost.NextExpectedVersion);
            Assert.True(lost.Position > won.Position);

            var log = (await winner.ReadAllListAsync(GlobalPosition.Start)).Where(e => e.StreamId == stream).ToList();
            Assert.Equal([1L, 2L], log.Select(e => e.StreamVersion));
            Assert.Equal(loserEvent[0].EventId, log[1].EventId);
        }
        finally
        {
            await fixture.DataSource.ExecuteAsync($"drop trigger if exists test_pause_loser on {schema}.streams");
        }
    }

    [Fact]
    public async Task Concurrent_Any_appends_to_new_streams_keep_every_streams_log_order()
    {
        var options = await fixture.CreateSchemaAsync("log_order_race");
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var streams = Enumerable.Range(0, 1500).Select(_ => TestData.NewStream("race")).ToArray();

        // Two writers per new stream, started together: one creates it, the other appends after it.
        var next = -1;
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < streams.Length)
            {
                await Task.WhenAll(
                    store.AppendAsync(streams[i], ExpectedVersion.Any, TestData.Increments(1, 1), Ct).AsTask(),
                    store.AppendAsync(streams[i], ExpectedVersion.Any, TestData.Increments(1, 2), Ct).AsTask());
            }
        }, Ct)).ToArray();
        await Task.WhenAll(workers);

        var log = await store.ReadAllListAsync(GlobalPosition.Start);
        Assert.Equal(streams.Length * 2, log.Count);
        var reversed = log.GroupBy(e => e.StreamId).Count(g => !g.Select(e => e.StreamVersion).SequenceEqual([1L, 2L]));
        Assert.Equal(0, reversed);
    }

    private static string PostgresSql(string schema) => "\"" + schema + "\"";

    private static async Task CallAppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, StreamId stream, Guid id)
    {
        await using var append = new NpgsqlCommand($"select out_version from \"{schema}\".append($1, -1, $2, $3, $4, $5, now())", connection, transaction);
        append.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = stream.Value });
        append.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = new[] { id } });
        append.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = new[] { "incremented" } });
        append.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json, Value = new[] { "{\"by\":7}" } });
        append.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json, Value = new string?[] { null } });
        await append.ExecuteScalarAsync(Ct);
    }
}
