using System.Text;
using EventSourcing.Documents;
using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite.Internal;

/// <summary>
/// The documents of views in SQLite: rows of <c>documents</c> (JSON text, keyed by collection and id;
/// ids sort by their UTF-8 bytes, i.e. by code point). Reads outside any unit of work see committed
/// documents; projections write through their unit of work's transaction.
/// </summary>
internal sealed class SqliteDocuments(SqliteDatabase database) : IDocumentStore
{
    private const string LoadSql = "SELECT data FROM documents WHERE collection = $collection AND id = $id";
    private const string UpsertSql = "INSERT INTO documents (collection, id, data) VALUES ($collection, $id, $data) ON CONFLICT (collection, id) DO UPDATE SET data = excluded.data";
    private const string DeleteSql = "DELETE FROM documents WHERE collection = $collection AND id = $id";
    private const string DeleteAllSql = "DELETE FROM documents WHERE collection = $collection";
    private const string RenameSql = "UPDATE documents SET collection = $target WHERE collection = $collection";
    private const string ListSql = "SELECT id, data FROM documents WHERE collection = $collection AND id > $after ORDER BY id LIMIT $limit";

    public async ValueTask<byte[]?> LoadAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        DocumentGuard.Validate(collection, id);
        var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return Load(connection, null, collection, id);
        }
    }

    public async ValueTask<IReadOnlyList<KeyValuePair<string, byte[]>>> ListAsync(string collection, string? after, int limit, CancellationToken cancellationToken = default)
    {
        DocumentGuard.ValidateList(collection, limit);
        var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = ListSql;
        Values.Add(command, "$collection", collection);
        Values.Add(command, "$after", after ?? string.Empty);
        Values.Add(command, "$limit", limit);
        using var reader = command.ExecuteReader();
        var page = new List<KeyValuePair<string, byte[]>>();
        while (reader.Read())
        {
            page.Add(new(reader.GetString(0), Encoding.UTF8.GetBytes(reader.GetString(1))));
        }

        return page;
    }

    /// <summary>The session of a unit of work on this connection and transaction.</summary>
    public static IDocumentSession Session(SqliteConnection connection, SqliteTransaction transaction) => new UnitSession(connection, transaction);

    private static byte[]? Load(SqliteConnection connection, SqliteTransaction? transaction, string collection, string id)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = LoadSql;
        Values.Add(command, "$collection", collection);
        Values.Add(command, "$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Encoding.UTF8.GetBytes(reader.GetString(0)) : null;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql, string collection, string? id = null, string? data = null, string? target = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        Values.Add(command, "$collection", collection);
        if (id is not null)
        {
            Values.Add(command, "$id", id);
        }

        if (data is not null)
        {
            Values.Add(command, "$data", data);
        }

        if (target is not null)
        {
            Values.Add(command, "$target", target);
        }

        command.ExecuteNonQuery();
    }

    /// <summary>Document writes in the unit of work's transaction (which holds the write lock): they commit or roll back with it.</summary>
    private sealed class UnitSession(SqliteConnection connection, SqliteTransaction transaction) : IDocumentSession
    {
        public ValueTask<byte[]?> LoadAsync(string collection, string id, CancellationToken cancellationToken = default)
        {
            DocumentGuard.Validate(collection, id);
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Load(connection, transaction, collection, id));
        }

        public ValueTask<IReadOnlyDictionary<string, byte[]>> LoadManyAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
        {
            // In process, a statement is no round trip: one prepared statement, rebound per id.
            DocumentGuard.ValidateMany(collection, ids);
            cancellationToken.ThrowIfCancellationRequested();
            var found = new Dictionary<string, byte[]>(ids.Count, StringComparer.Ordinal);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = LoadSql;
            Values.Add(command, "$collection", collection);
            var id = command.Parameters.Add("$id", SqliteType.Text);
            foreach (var each in ids)
            {
                id.Value = each;
                using var reader = command.ExecuteReader();
                if (reader.Read())
                {
                    found[each] = Encoding.UTF8.GetBytes(reader.GetString(0));
                }
            }

            return ValueTask.FromResult<IReadOnlyDictionary<string, byte[]>>(found);
        }

        public ValueTask StoreManyAsync(string collection, IReadOnlyList<KeyValuePair<string, byte[]>> documents, CancellationToken cancellationToken = default)
        {
            DocumentGuard.ValidateMany(collection, documents);
            cancellationToken.ThrowIfCancellationRequested();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = UpsertSql;
            Values.Add(command, "$collection", collection);
            var id = command.Parameters.Add("$id", SqliteType.Text);
            var data = command.Parameters.Add("$data", SqliteType.Text);
            foreach (var (each, json) in documents)
            {
                id.Value = each;
                data.Value = Encoding.UTF8.GetString(json);
                command.ExecuteNonQuery();
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask StoreAsync(string collection, string id, byte[] json, CancellationToken cancellationToken = default)
        {
            DocumentGuard.Validate(collection, id);
            ArgumentNullException.ThrowIfNull(json);
            cancellationToken.ThrowIfCancellationRequested();
            Execute(connection, transaction, UpsertSql, collection, id, Encoding.UTF8.GetString(json));
            return ValueTask.CompletedTask;
        }

        public ValueTask DeleteAsync(string collection, string id, CancellationToken cancellationToken = default)
        {
            DocumentGuard.Validate(collection, id);
            cancellationToken.ThrowIfCancellationRequested();
            Execute(connection, transaction, DeleteSql, collection, id);
            return ValueTask.CompletedTask;
        }

        public ValueTask DeleteAllAsync(string collection, CancellationToken cancellationToken = default)
        {
            DocumentGuard.Validate(collection);
            cancellationToken.ThrowIfCancellationRequested();
            Execute(connection, transaction, DeleteAllSql, collection);
            return ValueTask.CompletedTask;
        }

        public ValueTask ReplaceAllAsync(string source, string target, CancellationToken cancellationToken = default)
        {
            DocumentGuard.Validate(source);
            DocumentGuard.Validate(target);
            cancellationToken.ThrowIfCancellationRequested();
            Execute(connection, transaction, DeleteAllSql, target);
            Execute(connection, transaction, RenameSql, source, target: target);
            return ValueTask.CompletedTask;
        }
    }
}
