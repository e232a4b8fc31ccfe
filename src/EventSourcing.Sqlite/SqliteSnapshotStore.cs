using EventSourcing.Sqlite.Internal;
using EventSourcing.Storage;
using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite;

/// <summary>
/// Snapshots in SQLite: the newest per stream, replaced by an upsert that keeps the stored one when it is
/// newer and of the same schema version and state type (the rule every backend shares). Timestamps are
/// kept to the microsecond.
/// </summary>
public sealed class SqliteSnapshotStore : ISnapshotStore
{
    private readonly SqliteDatabase _database;

    /// <summary>Creates the store. Nothing is opened here.</summary>
    /// <param name="options">The database file and busy timeout.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public SqliteSnapshotStore(SqliteOptions options)
        : this(new SqliteDatabase(options))
    {
    }

    internal SqliteSnapshotStore(SqliteDatabase database) => _database = database;

    /// <summary>The database file the snapshots live in.</summary>
    internal SqliteDatabase Database => _database;

    /// <inheritdoc />
    public async ValueTask<Snapshot?> LoadAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateStreamId(streamId);
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSql.LoadSnapshot;
        Values.Add(command, "$stream", streamId.Value);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return new Snapshot(
            streamId,
            Version: reader.GetInt64(0),
            StateType: reader.GetString(1),
            SchemaVersion: reader.GetInt32(2),
            State: reader.GetFieldValue<byte[]>(4),
            Timestamp: Values.FromMicroseconds(reader.GetInt64(3)));
    }

    /// <inheritdoc />
    public ValueTask SaveAsync(Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        SnapshotGuard.Validate(snapshot);
        return WriteAsync(
            SqliteSql.SaveSnapshot,
            command =>
            {
                Values.Add(command, "$stream", snapshot.StreamId.Value);
                Values.Add(command, "$version", snapshot.Version);
                Values.Add(command, "$type", snapshot.StateType);
                Values.Add(command, "$schema", snapshot.SchemaVersion);
                Values.Add(command, "$state", snapshot.State.ToArray());
                Values.Add(command, "$at", Values.ToMicroseconds(snapshot.Timestamp));
            },
            cancellationToken).AsValueTask();
    }

    /// <inheritdoc />
    public ValueTask DeleteAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateStreamId(streamId);
        return WriteAsync(SqliteSql.DeleteSnapshot, command => Values.Add(command, "$stream", streamId.Value), cancellationToken).AsValueTask();
    }

    /// <inheritdoc />
    public async ValueTask<long> DeleteAllAsync(string stateType, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateType);
        return await WriteAsync(SqliteSql.DeleteSnapshotsOfType, command => Values.Add(command, "$type", stateType), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One write statement during this process's writer turn; returns the rows changed.</summary>
    private async Task<long> WriteAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await _database.EnterWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var transaction = await _database.BeginImmediateAsync(connection, cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            bind(command);
            var changed = command.ExecuteNonQuery();
            transaction.Commit();
            return changed;
        }
        catch (SqliteException ex) when (SqliteErrors.IsBusy(ex))
        {
            throw SqliteErrors.Busy(_database.BusyTimeout, ex);
        }
        finally
        {
            _database.ExitWriter();
        }
    }
}

/// <summary>Small adapters.</summary>
file static class TaskExtensions
{
    public static async ValueTask AsValueTask(this Task<long> task) => await task.ConfigureAwait(false);
}
