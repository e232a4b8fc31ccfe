using EventSourcing.Testing;
using EventSourcing.Projections;
using EventSourcing.Storage;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// A SQL read model written through <see cref="PostgresProjectionContext"/>: one row per event, with the
/// number of times it was applied. A redelivered event whose first application had committed would
/// show <c>applications = 2</c>; exactly-once effect means every row says 1.
/// </summary>
internal sealed class AppliedEventsProjection(string table, string instance = "default") : IProjection
{
    public string Name { get; init; } = "applied-events";

    public IReadOnlyCollection<string> EventTypes { get; } = ["incremented"];

    /// <summary>Runs before each application (in the unit of work); tests block or slow the handler here.</summary>
    public Func<EventEnvelope, CancellationToken, Task>? BeforeApply { get; set; }

    /// <summary>Shared between instances to see whether two ever run at once.</summary>
    public ConcurrencyProbe? Probe { get; init; }

    public static string CreateTable(string table) => $"""
        create table {table} (
            event_id uuid primary key, stream_id text not null, version bigint not null,
            amount int not null, applications int not null, instance text not null)
        """;

    public async ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        using var entered = Probe?.Enter();
        if (BeforeApply is { } hook)
        {
            await hook(envelope, cancellationToken);
        }

        var postgres = Assert.IsType<PostgresProjectionContext>(context);
        await using var command = new NpgsqlCommand(
            $"""
            insert into {table} as t (event_id, stream_id, version, amount, applications, instance)
            values ($1, $2, $3, $4, 1, $5)
            on conflict (event_id) do update set applications = t.applications + 1
            """,
            postgres.Connection,
            postgres.Transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = envelope.EventId });
        command.Parameters.Add(new NpgsqlParameter { Value = envelope.StreamId.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = envelope.StreamVersion });
        command.Parameters.Add(new NpgsqlParameter { Value = ((Incremented)envelope.Event).By });
        command.Parameters.Add(new NpgsqlParameter { Value = instance });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The read model equals a fresh full replay of the log (same events, same streams, versions and
    /// amounts) and no event was applied twice. Returns the rows per instance.
    /// </summary>
    public static async Task<Dictionary<string, int>> AssertEqualsFullReplayAsync(NpgsqlDataSource dataSource, IEventStore store, string table)
    {
        var replay = new List<(Guid Id, string Stream, long Version, int Amount)>();
        await foreach (var e in store.ReadAllAsync(GlobalPosition.Start, int.MaxValue, ["incremented"], TestSupport.Ct))
        {
            replay.Add((e.EventId, e.StreamId.Value, e.StreamVersion, ((Incremented)e.Event).By));
        }

        var rows = new List<(Guid Id, string Stream, long Version, int Amount)>();
        var applications = new List<(Guid Id, int Count)>();
        var perInstance = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand($"select event_id, stream_id, version, amount, applications, instance from {table}"))
        await using (var reader = await command.ExecuteReaderAsync(TestSupport.Ct))
        {
            while (await reader.ReadAsync(TestSupport.Ct))
            {
                rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3)));
                applications.Add((reader.GetGuid(0), reader.GetInt32(4)));
                perInstance[reader.GetString(5)] = perInstance.GetValueOrDefault(reader.GetString(5)) + 1;
            }
        }

        Assert.DoesNotContain(applications, a => a.Count != 1);
        Assert.NotEmpty(replay);
        Assert.Equal(replay.OrderBy(r => r.Id), rows.OrderBy(r => r.Id));
        return perInstance;
    }
}

/// <summary>Counts handlers running at once, across every projection instance that shares it.</summary>
internal sealed class ConcurrencyProbe
{
    private int _running;
    private int _max;

    public int MaxConcurrency => Volatile.Read(ref _max);

    public IDisposable Enter()
    {
        var now = Interlocked.Increment(ref _running);
        int max;
        while (now > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, max) != max)
        {
        }

        return new Exit(this);
    }

    private sealed class Exit(ConcurrencyProbe probe) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref probe._running);
    }
}
