using System.Data;
using EventSourcing.Postgres.Internal;
using EventSourcing.Storage;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres;

/// <summary>
/// Snapshots in PostgreSQL: the newest per stream, replaced by an upsert that keeps the stored one when
/// it is newer and of the same schema version and state type (the rule every backend shares).
/// </summary>
public sealed class PostgresSnapshotStore : ISnapshotStore
{
    private readonly PostgresBackend _backend;

    /// <summary>Creates the store. No SQL runs here.</summary>
    /// <param name="dataSource">The data source; not disposed by the store.</param>
    /// <param name="options">The schema and command timeout.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The schema name or the command timeout is invalid.</exception>
    public PostgresSnapshotStore(NpgsqlDataSource dataSource, PostgresOptions options)
        : this(new PostgresBackend(dataSource, options))
    {
    }

    /// <summary>Creates the store on the backend the DI wiring shares.</summary>
    internal PostgresSnapshotStore(PostgresBackend backend) => _backend = backend;

    /// <summary>The data source and schema the snapshots live in.</summary>
    internal PostgresBackend Backend => _backend;

    /// <inheritdoc />
    public async ValueTask<Snapshot?> LoadAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateStreamId(streamId);
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = _backend.Command(_backend.Sql.LoadSnapshot, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
        var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow | CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new Snapshot(
            streamId,
            Version: reader.GetInt64(0),
            StateType: reader.GetString(1),
            SchemaVersion: reader.GetInt32(2),
            Timestamp: reader.GetFieldValue<DateTimeOffset>(3),
            State: await reader.GetFieldValueAsync<byte[]>(4, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async ValueTask SaveAsync(Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        SnapshotGuard.Validate(snapshot);
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = _backend.Command(_backend.Sql.SaveSnapshot, connection);
        var parameters = command.Parameters;
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = snapshot.StreamId.Value });
        parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = snapshot.Version });
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = snapshot.StateType });
        parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = snapshot.SchemaVersion });
        parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { NpgsqlDbType = NpgsqlDbType.Bytea, TypedValue = snapshot.State });
        parameters.Add(new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = snapshot.Timestamp.ToUniversalTime() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DeleteAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateStreamId(streamId);
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = _backend.Command(_backend.Sql.DeleteSnapshot, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<long> DeleteAllAsync(string stateType, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateType);
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = _backend.Command(_backend.Sql.DeleteSnapshotsOfType, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = stateType });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
