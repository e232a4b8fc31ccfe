using EventSourcing.Testing;
using Npgsql;
using NpgsqlTypes;
using Xunit;

namespace EventSourcing.Postgres.Tests;

public sealed class GlobalLogTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task A_late_committing_transaction_is_not_skipped_by_a_global_log_reader()
    {
        var options = await fixture.CreateSchemaAsync("late_commit");
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var early = TestData.NewStream("early");
        await store.AppendAsync(early, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        var seen = await store.ReadAllListAsync(GlobalPosition.Start);
        Assert.Single(seen);
        var cursor = seen[^1].Position;

        // Writer A takes its transaction id first and inserts, but does not commit.
        var slow = TestData.NewStream("slow");
        await using var slowConnection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var slowTransaction = await slowConnection.BeginTransactionAsync(Ct);
        var slowId = Guid.CreateVersion7();
        await using (var append = new NpgsqlCommand($"select out_version from \"{options.Schema}\".append($1, 0, $2, $3, $4, $5, now())", slowConnection, slowTransaction))
        {
            append.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = slow.Value });
            append.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = new[] { slowId } });
            append.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = new[] { "incremented" } });
            append.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json, Value = new[] { "{\"by\":7}" } });
            append.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json, Value = new string?[] { null } });
            Assert.Equal(1L, await append.ExecuteScalarAsync(Ct));
        }

        // Writers B and C start later (higher transaction ids) and commit first.
        var fast = new[] { TestData.NewStream("fast1"), TestData.NewStream("fast2") };
        var fastResults = new List<AppendResult>();
        foreach (var stream in fast)
        {
            fastResults.Add(await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(2), Ct));
        }

        // They are committed and readable by stream...
        Assert.Equal(2, (await store.ReadStreamListAsync(fast[0])).Count);

        // ...but a global-log reader does not pass A while A may still commit: nothing after the cursor yet.
        Assert.Empty(await store.ReadAllListAsync(cursor));
        Assert.Empty(await store.ReadAllListAsync(cursor, 1));

        await slowTransaction.CommitAsync(Ct);

        // Now the reader gets A first (its transaction started first), then B and C, in order; nothing skipped.
        var after = await store.ReadAllListAsync(cursor);
        Assert.Equal(
            [(slow, 1L), (fast[0], 1L), (fast[0], 2L), (fast[1], 1L), (fast[1], 2L)],
            after.Select(e => (e.StreamId, e.StreamVersion)));
        Assert.Equal(slowId, after[0].EventId);
        Assert.Equal(7, ((Incremented)after[0].Event).By);
        Assert.Equal(fastResults[0].Position, after[2].Position);
        Assert.Equal(fastResults[1].Position, after[4].Position);
        for (var i = 1; i < after.Count; i++)
        {
            Assert.True(after[i - 1].Position < after[i].Position);
        }

        // Reading page by page from the same cursor gives the same sequence.
        var paged = new List<EventEnvelope>();
        for (var position = cursor; ;)
        {
            var page = await store.ReadAllListAsync(position, 2);
            if (page.Count == 0)
            {
                break;
            }

            paged.AddRange(page);
            position = page[^1].Position;
        }

        Assert.Equal(after.Select(e => e.EventId), paged.Select(e => e.EventId));
    }

    [Fact]
    public async Task A_rolled_back_transaction_leaves_no_trace_and_releases_readers()
    {
        var options = await fixture.CreateSchemaAsync("rollback");
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("rolled-back");

        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await using (var insert = new NpgsqlCommand($"insert into \"{options.Schema}\".events (stream_id, version, event_id, event_type, data, created_at) values ($1, 1, $2, 'incremented', '{{\"by\":1}}', now())", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = stream.Value });
            insert.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7() });
            await insert.ExecuteNonQueryAsync(Ct);
        }

        var committed = TestData.NewStream("committed");
        await store.AppendAsync(committed, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        Assert.Empty(await store.ReadAllListAsync(GlobalPosition.Start));

        await transaction.RollbackAsync(Ct);

        var all = await store.ReadAllListAsync(GlobalPosition.Start);
        Assert.Equal([committed], all.Select(e => e.StreamId));
    }
}
