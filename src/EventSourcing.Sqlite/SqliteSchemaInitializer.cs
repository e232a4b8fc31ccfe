using EventSourcing.Sqlite.Internal;
using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite;

/// <summary>
/// Creates or updates the backend's tables in a database file and puts the file in WAL mode.
/// Idempotent and safe to run from several processes at once (it runs in one <c>BEGIN IMMEDIATE</c>
/// transaction); <c>UseSqlite</c> runs it when the host starts. The schema version is kept in
/// <c>PRAGMA user_version</c>.
/// </summary>
public sealed class SqliteSchemaInitializer
{
    private readonly SqliteDatabase _database;

    /// <summary>Creates the initializer. Nothing is opened here.</summary>
    /// <param name="options">The database.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public SqliteSchemaInitializer(SqliteOptions options)
        : this(new SqliteDatabase(options))
    {
    }

    internal SqliteSchemaInitializer(SqliteDatabase database) => _database = database;

    /// <summary>The schema version this library writes and reads.</summary>
    public static int LatestVersion => SqliteSql.SchemaVersion;

    /// <summary>
    /// Creates the file if needed, switches it to WAL mode and brings the schema to
    /// <see cref="LatestVersion"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the schema is current.</returns>
    /// <exception cref="InvalidOperationException">
    /// The file cannot use WAL mode (e.g. it is on a network file system), or a newer version of the
    /// library wrote its schema.
    /// </exception>
    public async Task ApplyAsync(CancellationToken cancellationToken = default)
    {
        var directory = Path.GetDirectoryName(_database.FullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = await _database.OpenUncheckedAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using (var wal = connection.CreateCommand())
        {
            // Persistent: stored in the file, so every later connection (any process) uses WAL.
            wal.CommandText = "PRAGMA journal_mode = WAL";
            var mode = (string?)await wal.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"The SQLite database '{_database.FullPath}' could not be switched to WAL mode (it reports '{mode}'); the backend needs WAL (a local file system).");
            }
        }

        await _database.EnterWriterUncheckedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = await _database.BeginImmediateAsync(connection, cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "PRAGMA user_version";
            var version = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            if (version > SqliteSql.SchemaVersion)
            {
                throw new InvalidOperationException($"The SQLite database '{_database.FullPath}' has schema version {version}, newer than this library's {SqliteSql.SchemaVersion}: upgrade EventSourcing.Sqlite.");
            }

            if (version < SqliteSql.SchemaVersion)
            {
                command.CommandText = SqliteSql.Schema + $"\nPRAGMA user_version = {SqliteSql.SchemaVersion};";
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

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
