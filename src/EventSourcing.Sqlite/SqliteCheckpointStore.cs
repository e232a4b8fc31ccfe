using EventSourcing.Sqlite.Internal;
using EventSourcing.Storage;
using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite;

/// <summary>
/// Checkpoints in SQLite, moved by a fenced update (<c>update … where position = the expected one</c>):
/// no row updated means another instance moved on, and the save fails with
/// <see cref="CheckpointConflictException"/>.
/// </summary>
public sealed class SqliteCheckpointStore : ICheckpointStore
{
    private readonly SqliteDatabase _database;

    /// <summary>Creates the store. Nothing is opened here.</summary>
    /// <param name="options">The database file and busy timeout.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public SqliteCheckpointStore(SqliteOptions options)
        : this(new SqliteDatabase(options))
    {
    }

    internal SqliteCheckpointStore(SqliteDatabase database) => _database = database;

    /// <inheritdoc />
    public async ValueTask<GlobalPosition?> LoadAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        return CheckpointCommands.Load(connection, transaction: null, name);
    }

    /// <inheritdoc />
    public async ValueTask SaveAsync(string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        await _database.EnterWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var transaction = await _database.BeginImmediateAsync(connection, cancellationToken).ConfigureAwait(false);
            CheckpointCommands.Save(connection, transaction, name, expected, position);
            transaction.Commit();
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
