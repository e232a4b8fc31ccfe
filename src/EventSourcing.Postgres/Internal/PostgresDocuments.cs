using EventSourcing.Documents;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// The documents of views on PostgreSQL: rows of <c>documents</c> (jsonb, keyed by collection and id).
/// Reads outside any unit of work see committed documents; projections write through
/// <see cref="EventSourcing.Projections.ProjectionContext.Documents"/> in their own transaction.
/// </summary>
internal sealed class PostgresDocuments(PostgresBackend backend) : IDocumentStore
{
    private readonly DocumentSql _sql = new(backend.Sql.Quoted);

    public async ValueTask<byte[]?> LoadAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        DocumentGuard.Validate(collection, id);
        var connection = await backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await LoadAsync(connection, null, collection, id, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<IReadOnlyList<KeyValuePair<string, byte[]>>> ListAsync(string collection, string? after, int limit, CancellationToken cancellationToken = default)
    {
        DocumentGuard.ValidateList(collection, limit);
        var connection = await backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = backend.Command(_sql.List, connection);
        command.Parameters.Add(Text(collection));
        command.Parameters.Add(Text(after ?? string.Empty));
        command.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = limit });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var page = new List<KeyValuePair<string, byte[]>>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            page.Add(new(reader.GetString(0), reader.GetFieldValue<byte[]>(1)));
        }

        return page;
    }

    /// <summary>The session of a unit of work on this connection and transaction.</summary>
    public IDocumentSession Session(NpgsqlConnection connection, NpgsqlTransaction transaction) => new UnitSession(this, connection, transaction);

    private async Task<byte[]?> LoadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string collection, string id, CancellationToken cancellationToken)
    {
        using var command = backend.Command(_sql.Load, connection, transaction);
        command.Parameters.Add(Text(collection));
        command.Parameters.Add(Text(id));
        var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetFieldValue<byte[]>(0) : null;
    }

    private async Task<Dictionary<string, byte[]>> LoadManyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        using var command = backend.Command(_sql.LoadMany, connection, transaction);
        command.Parameters.Add(Text(collection));
        command.Parameters.Add(new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = [.. ids] });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var found = new Dictionary<string, byte[]>(ids.Count, StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found[reader.GetString(0)] = reader.GetFieldValue<byte[]>(1);
        }

        return found;
    }

    private async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, NpgsqlParameter[] parameters, CancellationToken cancellationToken)
    {
        using var command = backend.Command(sql, connection, transaction);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlParameter<string> Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = value };

    /// <summary>Document writes in the unit of work's transaction: they commit or roll back with it.</summary>
    private sealed class UnitSession(PostgresDocuments owner, NpgsqlConnection connection, NpgsqlTransaction transaction) : IDocumentSession
    {
        public async ValueTask<byte[]?> LoadAsync(string collection, string id, CancellationToken cancellationToken = default)
        {
            DocumentGuard.Validate(collection, id);
            return await owner.LoadAsync(connection, transaction, collection, id, cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask<IReadOnlyDictionary<string, byte[]>> LoadManyAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
        {
            DocumentGuard.ValidateMany(collection, ids);
            return ids.Count == 0
                ? new Dictionary<string, byte[]>(StringComparer.Ordinal)
                : await owner.LoadManyAsync(connection, transaction, collection, ids, cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask StoreManyAsync(string collection, IReadOnlyList<KeyValuePair<string, byte[]>> documents, CancellationToken cancellationToken = default)
        {
            DocumentGuard.ValidateMany(collection, documents);
            if (documents.Count == 0)
            {
                return;
            }

            var ids = new string[documents.Count];
            var data = new byte[documents.Count][];
            for (var i = 0; i < ids.Length; i++)
            {
                (ids[i], data[i]) = (documents[i].Key, documents[i].Value);
            }

            await owner.ExecuteAsync(connection, transaction, owner._sql.UpsertMany, [
                Text(collection),
                new NpgsqlParameter<string[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = ids },
                new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, TypedValue = data },
            ], cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask StoreAsync(string collection, string id, byte[] json, CancellationToken cancellationToken = default)
        {
            DocumentGuard.Validate(collection, id);
            ArgumentNullException.ThrowIfNull(json);
            await owner.ExecuteAsync(connection, transaction, owner._sql.Upsert, [Text(collection), Text(id), new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Jsonb, TypedValue = json }], cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask DeleteAsync(string collection, string id, CancellationToken cancellationToken = default)
        {
            DocumentGuard.Validate(collection, id);
            await owner.ExecuteAsync(connection, transaction, owner._sql.Delete, [Text(collection), Text(id)], cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask DeleteAllAsync(string collection, CancellationToken cancellationToken = default)
        {
            DocumentGuard.Validate(collection);
            await owner.ExecuteAsync(connection, transaction, owner._sql.DeleteAll, [Text(collection)], cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask ReplaceAllAsync(string source, string target, CancellationToken cancellationToken = default)
        {
            DocumentGuard.Validate(source);
            DocumentGuard.Validate(target);
            await owner.ExecuteAsync(connection, transaction, owner._sql.DeleteAll, [Text(target)], cancellationToken).ConfigureAwait(false);
            await owner.ExecuteAsync(connection, transaction, owner._sql.Rename, [Text(source), Text(target)], cancellationToken).ConfigureAwait(false);
        }
    }
}
