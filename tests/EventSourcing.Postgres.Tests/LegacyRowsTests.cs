using System.Text.Json.Nodes;
using EventSourcing.Aggregates;
using EventSourcing.Testing;
using EventSourcing.Serialization;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// Rows as older releases wrote them, inserted straight into the tables (not through the API), read as
/// current events through aliases and upcasters: stream reads, the global log (filtered by type too)
/// and the aggregate repository.
/// </summary>
public sealed class LegacyRowsTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    /// <summary>
    /// Today's registry. Over the years, "counter-incremented" was renamed "incremented" (an alias);
    /// its v1 shape {amount, unit} has no CLR class any more (a JSON upcaster to the current shape); the
    /// even older v0 {value: "7"} is lifted by JSON to "incremented.v1", whose class still exists and is
    /// upcast by a typed function (a chain); notes were once stored as "note-added".
    /// </summary>
    private static EventTypeRegistry TodaysRegistry() =>
        new EventTypeRegistry(ConformanceJsonContext.Default.Options)
            .Register<Incremented>("incremented", "counter-incremented")
            .Register<Noted>("noted", "note-added")
            .Register<LegacyIncremented>("incremented.v1")
            .AddUpcaster<LegacyIncremented, Incremented>(old => new Incremented(old.Amount))
            .AddJsonUpcaster("counter-incremented.v1", "incremented", old => new JsonObject { ["by"] = old["amount"]!.GetValue<int>() })
            .AddJsonUpcaster("counter-incremented.v0", "incremented.v1", old => new JsonObject { ["amount"] = int.Parse(old["value"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>(stored type, stored JSON, what it reads as today).</summary>
    private static readonly (string Type, string Json, object Current)[] OldRows =
    [
        ("counter-incremented.v0", """{"value":"7"}""", new Incremented(7)),
        ("counter-incremented.v1", """{"amount":5,"unit":"pcs"}""", new Incremented(5)),
        ("counter-incremented", """{"by":2}""", new Incremented(2)),
        ("incremented.v1", """{"amount":11}""", new Incremented(11)),
        ("note-added", """{"text":"written in 2019"}""", new Noted("written in 2019")),
        ("incremented", """{"by":1}""", new Incremented(1)),
    ];

    [Fact]
    public async Task Old_format_rows_written_straight_into_the_tables_read_as_current_events_everywhere()
    {
        var options = await fixture.CreateSchemaAsync("legacy_rows");
        var schema = $"\"{options.Schema}\"";
        var stream = TestData.NewStream("counter");
        var other = TestData.NewStream("other");
        var ids = OldRows.Select(_ => Guid.NewGuid()).ToArray();
        var otherId = Guid.NewGuid();
        var writtenAt = new DateTimeOffset(2019, 6, 1, 12, 0, 0, TimeSpan.Zero);

        // As an older release wrote them: its own statements, no metadata on most rows, one per event.
        await using (var connection = await fixture.DataSource.OpenConnectionAsync(Ct))
        await using (var tx = await connection.BeginTransactionAsync(Ct))
        {
            await ExecuteAsync(connection, tx, $"insert into {schema}.streams (stream_id, version, created_at, updated_at) values ($1, $2, $3, $3), ($4, 1, $3, $3)", stream.Value, (long)OldRows.Length, writtenAt, other.Value);
            for (var i = 0; i < OldRows.Length; i++)
            {
                var metadata = i == 1 ? """{"correlationId":"legacy-42"}""" : null;
                await ExecuteAsync(connection, tx, $"insert into {schema}.events (stream_id, version, event_id, event_type, data, metadata, created_at) values ($1, $2, $3, $4, $5::json, $6::json, $7)",
                    stream.Value, (long)(i + 1), ids[i], OldRows[i].Type, OldRows[i].Json, (object?)metadata ?? DBNull.Value, writtenAt.AddMinutes(i));
            }

            await ExecuteAsync(connection, tx, $"insert into {schema}.events (stream_id, version, event_id, event_type, data, metadata, created_at) values ($1, 1, $2, 'counter-incremented.v1', '{{\"amount\":100}}', null, $3)", other.Value, otherId, writtenAt);
            await tx.CommitAsync(Ct);
        }

        var registry = TodaysRegistry();
        var store = new PostgresEventStore(fixture.DataSource, registry, options);

        // Stream read: current types and names; ids, versions, timestamps and metadata as stored.
        var read = await store.ReadStreamListAsync(stream);
        Assert.Equal(OldRows.Select(r => r.Current), read.Select(e => e.Event));
        Assert.Equal(OldRows.Select(r => r.Current is Noted ? "noted" : "incremented"), read.Select(e => e.EventType));
        Assert.Equal(ids, read.Select(e => e.EventId));
        Assert.Equal(Enumerable.Range(1, OldRows.Length).Select(v => (long)v), read.Select(e => e.StreamVersion));
        Assert.Equal(writtenAt.AddMinutes(3), read[3].Timestamp);
        Assert.Equal("legacy-42", read[1].Metadata.CorrelationId);
        Assert.True(read[0].Metadata.IsEmpty);

        // The global log, whole and filtered by today's names (the store filters by every stored name
        // that reads as them: aliases and upcast sources).
        var all = await store.ReadAllListAsync(GlobalPosition.Start);
        Assert.Equal(OldRows.Select(r => r.Current).Append(new Incremented(100)), all.Select(e => e.Event));
        var increments = await ReadAllOfTypesAsync(store, "incremented");
        Assert.Equal(ids.Where((_, i) => OldRows[i].Current is Incremented).Append(otherId), increments.Select(e => e.EventId));
        Assert.All(increments, e => Assert.IsType<Incremented>(e.Event));
        var notes = await ReadAllOfTypesAsync(store, "noted");
        Assert.Equal(ids[4], Assert.Single(notes).EventId);
        Assert.Equal(all.Where(e => e.EventType == "incremented").Select(e => e.Position), increments.Select(e => e.Position));

        // The aggregate repository: loads the old stream, then continues it in today's format.
        var repository = new AggregateRepository<Counter>(store, registry);
        var counter = await repository.LoadAsync(stream, Ct);
        Assert.Equal((26, 6, 6L, "written in 2019"), (counter.Total, counter.Count, counter.Version, counter.LastNote));
        Assert.Equal(14, (await repository.LoadAtVersionAsync(stream, 3, Ct)).Total);
        await repository.ExecuteAsync(stream, c => c.Increment(4), cancellationToken: Ct);
        Assert.Equal((30, 7L), ((await repository.LoadAsync(stream, Ct)).Total, (await repository.LoadAsync(stream, Ct)).Version));

        // Upcasting happens on read: the stored rows keep their old names and shapes.
        var stored = new List<string>();
        await using (var command = fixture.DataSource.CreateCommand($"select event_type from {schema}.events where stream_id = $1 order by version"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = stream.Value });
            await using var reader = await command.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
                stored.Add(reader.GetString(0));
            }
        }

        Assert.Equal(OldRows.Select(r => r.Type).Append("incremented"), stored);
        Assert.Equal("""{"amount":5,"unit":"pcs"}""", await fixture.DataSource.ScalarAsync($"select data::text from {schema}.events where event_id = $1", ids[1]));
    }

    private static async Task<List<EventEnvelope>> ReadAllOfTypesAsync(PostgresEventStore store, string type)
    {
        var result = new List<EventEnvelope>();
        await foreach (var e in store.ReadAllAsync(GlobalPosition.Start, 100, [type], Ct))
        {
            result.Add(e);
        }

        return result;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync(Ct);
    }
}
