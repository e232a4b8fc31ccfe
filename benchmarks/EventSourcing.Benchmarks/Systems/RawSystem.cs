using System.Buffers;
using System.Text.Json;
using EventSourcing.Benchmarks.Domain;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Benchmarks.Systems;

/// <summary>
/// The baseline: the same work done directly with Npgsql on a minimal table of the same shape as our
/// store's events table (no streams table, no function, the primary key as the only concurrency guard),
/// single INSERTs, binary COPY for batches, one SELECT for reads, System.Text.Json from UTF-8 bytes.
/// It is the physical limit of driver and server for each scenario.
/// </summary>
public sealed class RawSystem(NpgsqlDataSource dataSource, string schema)
{
    private readonly string _appendSql = $"insert into {schema}.events (stream_id, version, event_id, event_type, data) values ($1, $2, $3, $4, $5)";
    private readonly string _copySql = $"copy {schema}.events (stream_id, version, event_id, event_type, data) from stdin (format binary)";
    private readonly string _versionSql = $"select coalesce(max(version), 0) from {schema}.events where stream_id = $1";
    private readonly string _loadSql = $"select version, event_type, data from {schema}.events where stream_id = $1 and version > $2 order by version";
    // The snapshot row (event columns null) and the events after it, in one statement: one round trip, one MVCC snapshot.
    // The limit (never reached) keeps the plan an ordered index scan: without it the first quick runs
    // measured this statement 2–3× slower at the stream's head than with a 50-event tail (a bitmap scan
    // and sort sized for a third of the table, suspected in the cached generic plan; not profiled).
    private readonly string _snapshotSql = $"""
        with snap as materialized (select version, data from {schema}.snapshots where stream_id = $1)
        select version, data, null, null, null from snap
        union all
        (select null, null, version, event_type, data from {schema}.events
         where stream_id = $1 and version > coalesce((select version from snap), 0) order by version limit 1000000)
        """;

    // As _snapshotSql, with every column an EventEnvelope carries (event id, timestamp, position, metadata):
    // what our store's tail read must send and decode, so its ratio to raw separates the envelope's cost
    // (server and client) from the library's own.
    private readonly string _snapshotEnvelopeSql = $"""
        with snap as materialized (select version, data from {schema}.snapshots where stream_id = $1)
        select version, data, null, null, null, null, null, null, null, null from snap
        union all
        (select null, null, version, event_type, event_id, created_at, tx_id, global_position, metadata, data from {schema}.events
         where stream_id = $1 and version > coalesce((select version from snap), 0) order by version limit 1000000)
        """;

    // The gap-safe global-log read (xid8 horizon, DESIGN-NOTES §5), all columns an envelope carries.
    private readonly string _readAllSql = $"""
        select tx_id, global_position, stream_id, version, event_id, event_type, data, metadata, created_at
        from {schema}.events where tx_id < pg_snapshot_xmin(pg_current_snapshot())
        order by tx_id, global_position
        """;

    /// <summary>The last envelope the global-log read built (keeps the work observable).</summary>
    public EventEnvelope? LastEnvelope { get; private set; }

    /// <summary>The database.</summary>
    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Creates the schema (idempotent).</summary>
    /// <returns>A task.</returns>
    public async Task CreateSchemaAsync()
    {
        await using var command = dataSource.CreateCommand($"""
            create schema if not exists {schema};
            create table if not exists {schema}.events (
              global_position bigint generated always as identity,
              tx_id       xid8 not null default pg_current_xact_id(),
              stream_id   text not null,
              version     bigint not null,
              event_id    uuid not null,
              event_type  text not null,
              data        json not null,
              metadata    json,
              created_at  timestamptz not null default now(),
              primary key (stream_id, version));
            create index if not exists events_feed on {schema}.events (tx_id, global_position);
            create table if not exists {schema}.snapshots (
              stream_id text primary key, version bigint not null, snapshot_type text not null,
              data bytea not null, created_at timestamptz not null default now());
            {BalanceFolder.Ddl}
            """);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>One INSERT, autocommitted.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="version">The event's version.</param>
    /// <param name="event">The event.</param>
    /// <returns>True when written; false on a version conflict (unique violation).</returns>
    public async Task<bool> TryAppendAsync(string streamId, long version, object @event)
    {
        await using var command = dataSource.CreateCommand(_appendSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = version });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.CreateVersion7() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = EventFactory.NameOf(@event) });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = EventFactory.Serialize(@event), NpgsqlDbType = NpgsqlDbType.Json });
        try
        {
            await command.ExecuteNonQueryAsync();
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return false;
        }
    }

    /// <summary>Binary COPY of events at versions <paramref name="firstVersion"/>…, in one implicit transaction.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="firstVersion">The first event's version.</param>
    /// <param name="events">The events.</param>
    /// <returns>A task.</returns>
    public async Task CopyAsync(string streamId, long firstVersion, IReadOnlyList<object> events)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var writer = await connection.BeginBinaryImportAsync(_copySql);
        for (var i = 0; i < events.Count; i++)
        {
            await writer.StartRowAsync();
            await writer.WriteAsync(streamId, NpgsqlDbType.Text);
            await writer.WriteAsync(firstVersion + i, NpgsqlDbType.Bigint);
            await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
            await writer.WriteAsync(EventFactory.NameOf(events[i]), NpgsqlDbType.Text);
            await writer.WriteAsync(EventFactory.Serialize(events[i]), NpgsqlDbType.Json);
        }

        await writer.CompleteAsync();
    }

    /// <summary>Binary COPY of many streams' events in one statement (seeding).</summary>
    /// <param name="rows">Stream, version and event of each row.</param>
    /// <returns>A task.</returns>
    public async Task CopyRowsAsync(IEnumerable<(string StreamId, long Version, object Event)> rows)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var writer = await connection.BeginBinaryImportAsync(_copySql);
        foreach (var (streamId, version, @event) in rows)
        {
            await writer.StartRowAsync();
            await writer.WriteAsync(streamId, NpgsqlDbType.Text);
            await writer.WriteAsync(version, NpgsqlDbType.Bigint);
            await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
            await writer.WriteAsync(EventFactory.NameOf(@event), NpgsqlDbType.Text);
            await writer.WriteAsync(EventFactory.Serialize(@event), NpgsqlDbType.Json);
        }

        await writer.CompleteAsync();
    }

    /// <summary>The stream's current version (0 when it has no events).</summary>
    /// <param name="streamId">The stream.</param>
    /// <returns>The version.</returns>
    public async Task<long> GetVersionAsync(string streamId)
    {
        await using var command = dataSource.CreateCommand(_versionSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Reads a stream, deserializes each payload and applies it to a new aggregate.</summary>
    /// <param name="streamId">The stream.</param>
    /// <returns>The aggregate.</returns>
    public async Task<Account> LoadAsync(string streamId)
    {
        var account = new Account();
        await ReplayAsync(streamId, account, 0);
        return account;
    }

    /// <summary>Reads the snapshot and the tail in one statement; restores the snapshot, applies the tail.</summary>
    /// <param name="streamId">The stream.</param>
    /// <returns>The aggregate.</returns>
    public Task<Account> LoadFromSnapshotAsync(string streamId) => LoadFromSnapshotAsync(streamId, envelope: false);

    /// <summary>
    /// As <see cref="LoadFromSnapshotAsync(string)"/>, reading every column of the envelope our store returns
    /// (event id, timestamp, position, metadata) besides version, type and payload: the same bytes on the wire.
    /// </summary>
    /// <param name="streamId">The stream.</param>
    /// <returns>The aggregate.</returns>
    public Task<Account> LoadFromSnapshotEnvelopeAsync(string streamId) => LoadFromSnapshotAsync(streamId, envelope: true);

    private async Task<Account> LoadFromSnapshotAsync(string streamId, bool envelope)
    {
        var account = new Account();
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            // Prepared explicitly, as our store prepares its statement (not left to auto-preparation).
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(envelope ? _snapshotEnvelopeSql : _snapshotSql, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
            await command.PrepareAsync();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                if (!reader.IsDBNull(0))
                {
                    var snapshotVersion = reader.GetInt64(0);
                    var state = JsonSerializer.Deserialize(ReadBytes(reader, 1, ref buffer), BenchJsonContext.Default.AccountState)!;
                    account.RestoreRaw(state, snapshotVersion);
                }
                else
                {
                    var version = reader.GetInt64(2);
                    var type = reader.GetString(3);
                    if (envelope)
                    {
                        var columns = (EventId: reader.GetGuid(4), Timestamp: reader.GetFieldValue<DateTimeOffset>(5), Transaction: reader.GetFieldValue<ulong>(6),
                            Position: reader.GetInt64(7), Metadata: reader.IsDBNull(8) ? null : reader.GetString(8));
                        GC.KeepAlive(columns.Metadata);
                    }

                    var @event = EventFactory.Deserialize(type, ReadBytes(reader, envelope ? 9 : 4, ref buffer));
                    account.ReplayRaw(@event, version);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return account;
    }

    /// <summary>Writes a snapshot row (seeding).</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="version">The version it represents.</param>
    /// <param name="state">The state.</param>
    /// <returns>A task.</returns>
    public async Task SaveSnapshotAsync(string streamId, long version, AccountState state)
    {
        await using var command = dataSource.CreateCommand($"insert into {schema}.snapshots (stream_id, version, snapshot_type, data) values ($1, $2, 'Account', $3)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = version });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = JsonSerializer.SerializeToUtf8Bytes(state, BenchJsonContext.Default.AccountState) });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Reads the whole global log in order, building what an envelope holds for each event.</summary>
    /// <returns>The number of events read.</returns>
    public async Task<long> ReadAllAsync()
    {
        await using var command = dataSource.CreateCommand(_readAllSql);
        return await ReadEnvelopesAsync(command);
    }

    /// <summary>Reads the first <paramref name="limit"/> events of the global log in order, as <see cref="ReadAllAsync()"/> does (the scaling curve).</summary>
    /// <param name="limit">The most events to read.</param>
    /// <returns>The number of events read.</returns>
    public async Task<long> ReadAllAsync(long limit)
    {
        await using var command = dataSource.CreateCommand(_readAllSql + " limit $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = limit });
        return await ReadEnvelopesAsync(command);
    }

    /// <summary>Rebuilds the balance read model: read the global log in order, fold, upsert in batches.</summary>
    /// <param name="folder">The fold and writer (on this database).</param>
    /// <returns>The events folded.</returns>
    public async Task<long> RebuildAsync(BalanceFolder folder)
    {
        await folder.ResetAsync();
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            await using var command = dataSource.CreateCommand($"""
                select event_type, data from {schema}.events where tx_id < pg_snapshot_xmin(pg_current_snapshot())
                order by tx_id, global_position
                """);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                await folder.FoldAsync(EventFactory.Deserialize(reader.GetString(0), ReadBytes(reader, 1, ref buffer)));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await folder.FlushAsync();
        return folder.Events;
    }

    private async Task ReplayAsync(string streamId, Account account, long afterVersion)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            await using var command = dataSource.CreateCommand(_loadSql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterVersion });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var version = reader.GetInt64(0);
                var @event = EventFactory.Deserialize(reader.GetString(1), ReadBytes(reader, 2, ref buffer));
                account.ReplayRaw(@event, version);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Runs a global-log statement, building what an envelope holds for each row; the number of rows.</summary>
    private async Task<long> ReadEnvelopesAsync(NpgsqlCommand command)
    {
        long count = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var position = GlobalPosition.FromParts(reader.GetFieldValue<ulong>(0), reader.GetInt64(1));
                var streamId = reader.GetString(2);
                var version = reader.GetInt64(3);
                var eventId = reader.GetGuid(4);
                var type = reader.GetString(5);
                var @event = EventFactory.Deserialize(type, ReadBytes(reader, 6, ref buffer));
                // Raw rows carry no metadata (NULL); a non-null column would be parsed here.
                var metadata = reader.IsDBNull(7) ? EventMetadata.Empty : throw new InvalidOperationException("Raw rows have no metadata.");
                var timestamp = reader.GetFieldValue<DateTimeOffset>(8);
                LastEnvelope = new EventEnvelope(eventId, StreamId.From(streamId), version, position, type, @event, metadata, timestamp);
                count++;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return count;
    }

    // UTF-8 payload bytes into a reused buffer: no string, no per-row array.
    private static ReadOnlySpan<byte> ReadBytes(NpgsqlDataReader reader, int ordinal, ref byte[] buffer)
    {
        var length = (int)reader.GetBytes(ordinal, 0, null, 0, 0);
        if (length > buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(length);
        }

        reader.GetBytes(ordinal, 0, buffer, 0, length);
        return buffer.AsSpan(0, length);
    }
}
