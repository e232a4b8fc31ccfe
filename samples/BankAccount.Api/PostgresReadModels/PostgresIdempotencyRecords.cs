using BankAccount.Api.Http;
using Npgsql;

namespace BankAccount.Api.PostgresReadModels;

/// <summary>
/// Idempotency records in PostgreSQL (table <c>idempotency_keys</c> in the bank's schema), so a key's
/// response outlives the process and is shared by every instance of the API on the database.
/// </summary>
internal sealed class PostgresIdempotencyRecords(BankTables tables, NpgsqlDataSource dataSource, TimeProvider time) : IIdempotencyRecords
{
    /// <summary>Expired rows are deleted on one save in this many.</summary>
    private const int PruneEvery = 1_000;

    private int _saves;

    public async ValueTask<IdempotencyRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT fingerprint, status, content_type, header_names, header_values, body, created_at FROM {tables.IdempotencyKeys} WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var names = reader.GetFieldValue<string[]>(3);
        var values = reader.GetFieldValue<string[]>(4);
        var headers = new (string Name, string Value)[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            headers[i] = (names[i], values[i]);
        }

        var response = ApiResponse.Restore(reader.GetInt32(1), reader.GetFieldValue<byte[]>(5), reader.IsDBNull(2) ? null : reader.GetString(2), headers);
        return new IdempotencyRecord(id, reader.GetString(0), response, reader.GetFieldValue<DateTimeOffset>(6));
    }

    public async ValueTask SaveAsync(IdempotencyRecord record, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - IdempotencyStore.Retention;

        // The first live record wins (a concurrent duplicate on another instance may have kept one); an expired one is replaced.
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO {tables.IdempotencyKeys} AS k (id, fingerprint, status, content_type, header_names, header_values, body, created_at)
            VALUES ($1, $2, $3, $4::text, $5, $6, $7, $8)
            ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status, content_type = excluded.content_type,
                header_names = excluded.header_names, header_values = excluded.header_values, body = excluded.body, created_at = excluded.created_at
            WHERE k.created_at < $9
            """);
        var response = record.Response;
        var names = new string[response.Headers.Count];
        var values = new string[response.Headers.Count];
        for (var i = 0; i < names.Length; i++)
        {
            (names[i], values[i]) = response.Headers[i];
        }

        command.Parameters.Add(new NpgsqlParameter { Value = record.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Fingerprint });
        command.Parameters.Add(new NpgsqlParameter { Value = response.StatusCode });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)response.ContentType ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = names });
        command.Parameters.Add(new NpgsqlParameter { Value = values });
        command.Parameters.Add(new NpgsqlParameter { Value = response.Body });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Created.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter { Value = cutoff.ToUniversalTime() });
        await command.ExecuteNonQueryAsync(cancellationToken);

        if (Interlocked.Increment(ref _saves) % PruneEvery == 0)
        {
            await using var prune = dataSource.CreateCommand($"DELETE FROM {tables.IdempotencyKeys} WHERE created_at < $1");
            prune.Parameters.Add(new NpgsqlParameter { Value = cutoff.ToUniversalTime() });
            await prune.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
