using BankAccount.Domain;
using BankAccount.Domain.Events;
using BankAccount.Domain.ReadModels;
using EventSourcing;
using EventSourcing.Projections;
using Npgsql;

namespace BankAccount.Api.PostgresReadModels;

/// <summary>
/// The audit-log read model as a PostgreSQL table keyed by (stream, version), written by the projection
/// daemon with its checkpoint; a redelivered event hits the key and is not added again.
/// </summary>
internal sealed class PostgresAuditLogProjection(BankTables tables, NpgsqlDataSource dataSource) : IRebuildableProjection, IAuditLogQueries
{
    public string Name => BankReadModels.AuditLog;

    public IReadOnlyCollection<string> EventTypes { get; } = [BankEventNames.AccountOpened, BankEventNames.MoneyDeposited, BankEventNames.MoneyWithdrawn, BankEventNames.AccountClosed];

    public async ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        var table = tables.AuditLog(context.IsRebuild);
        string accountId, currency;
        if (envelope.Event is AccountOpened opened)
        {
            (accountId, currency) = (opened.AccountId, opened.Currency);
        }
        else
        {
            // The account's id and currency, from its first entry (in this unit of work's view).
            var unit = BankTables.Unit(context);
            await using var lookup = new NpgsqlCommand($"SELECT account_id, currency FROM {table} WHERE stream_id = $1 AND version = 1", unit.Connection, unit.Transaction);
            lookup.Parameters.Add(new NpgsqlParameter { Value = envelope.StreamId.Value });
            await using var reader = await lookup.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new InvalidOperationException($"{Name}: {envelope} arrived before its account was opened.");
            }

            (accountId, currency) = (reader.GetString(0), reader.GetString(1));
        }

        var (description, amount) = envelope.Event switch
        {
            AccountOpened e => ($"opened for {e.Owner} in {e.Currency}", (decimal?)null),
            MoneyDeposited e => ("deposit of " + Money.Format(e.Amount, e.Currency), e.Amount),
            MoneyWithdrawn e => ("withdrawal of " + Money.Format(e.Amount, currency), e.Amount),
            AccountClosed e => ("closed: " + e.Reason, null),
            _ => throw new InvalidOperationException($"{Name} cannot project {envelope}."),
        };
        var user = envelope.Metadata.Headers.GetValueOrDefault(BankMetadata.UserHeader) ?? BankMetadata.UnknownUser;
        await BankTables.ExecuteAsync(context, $"""
            INSERT INTO {table} (stream_id, version, account_id, event_type, description, amount, currency, user_name, correlation_id, recorded_at, event_id)
            VALUES ($1, $2, $3, $4, $5, $6::numeric, $7, $8, $9::text, $10, $11) ON CONFLICT (stream_id, version) DO NOTHING
            """, cancellationToken, envelope.StreamId.Value, envelope.StreamVersion, accountId, envelope.EventType, description, amount, currency, user, envelope.Metadata.CorrelationId, envelope.Timestamp.ToUniversalTime(), envelope.EventId);
    }

    public ValueTask PrepareShadowAsync(ProjectionContext context, CancellationToken cancellationToken = default) =>
        tables.PrepareShadowAsync(context, cancellationToken, "audit_log");

    public ValueTask SwapAsync(ProjectionContext context, CancellationToken cancellationToken = default) =>
        tables.SwapAsync(context, cancellationToken, "audit_log");

    public async ValueTask<AuditPage> GetPageAsync(string accountId, long afterVersion = 0, int limit = 50, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterVersion);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var stream = Account.StreamFor(accountId).Value;

        // One statement, so the page and the total come from the same snapshot.
        await using var command = dataSource.CreateCommand($"""
            SELECT version, event_type, description, amount, currency, user_name, correlation_id, recorded_at, event_id,
                   (SELECT count(*) FROM {tables.AuditLog()} WHERE stream_id = $1) AS total
            FROM {tables.AuditLog()} WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = stream });
        command.Parameters.Add(new NpgsqlParameter { Value = afterVersion });
        command.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<AuditEntry>();
        long total = 0;
        var more = false;
        while (await reader.ReadAsync(cancellationToken))
        {
            total = reader.GetInt64(9);
            if (entries.Count == limit)
            {
                more = true;
                break;
            }

            entries.Add(new AuditEntry(
                accountId,
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetDecimal(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetFieldValue<DateTimeOffset>(7),
                reader.GetGuid(8)));
        }

        if (entries.Count == 0 && afterVersion > 0)
        {
            total = await CountAsync(stream, cancellationToken);
        }

        return new AuditPage(accountId, entries, total, more ? entries[^1].StreamVersion : null);
    }

    private async Task<long> CountAsync(string stream, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM {tables.AuditLog()} WHERE stream_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = stream });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
