using BankAccount.Domain;
using BankAccount.Domain.Events;
using BankAccount.Domain.ReadModels;
using EventSourcing;
using EventSourcing.Projections;
using Npgsql;

namespace BankAccount.Api.PostgresReadModels;

/// <summary>
/// The analytics read model as PostgreSQL tables (per account, per currency, per day), written by the
/// projection daemon in the same transaction as its checkpoint: exactly once. Each event is one
/// statement; the per-account row's version guards against applying an event twice.
/// </summary>
internal sealed class PostgresAnalyticsProjection(BankTables tables, NpgsqlDataSource dataSource) : IRebuildableProjection, IAnalyticsQueries
{
    private static readonly string[] Tables = ["account_totals", "currency_totals", "daily_volume"];

    public string Name => BankReadModels.Analytics;

    public IReadOnlyCollection<string> EventTypes { get; } = [BankEventNames.AccountOpened, BankEventNames.MoneyDeposited, BankEventNames.MoneyWithdrawn];

    public ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        var shadow = context.IsRebuild;
        var (accounts, currencies, days) = (tables.AccountTotals(shadow), tables.CurrencyTotals(shadow), tables.DailyVolume(shadow));
        if (envelope.Event is AccountOpened opened)
        {
            return BankTables.ExecuteAsync(context, $"""
                WITH added AS (
                    INSERT INTO {accounts} (stream_id, account_id, currency, deposited, withdrawn, transaction_count, version)
                    VALUES ($1, $2, $3, 0, 0, 0, $4) ON CONFLICT (stream_id) DO NOTHING RETURNING currency)
                INSERT INTO {currencies} AS t (currency, deposited, withdrawn, transaction_count, accounts)
                SELECT currency, 0, 0, 0, 1 FROM added
                ON CONFLICT (currency) DO UPDATE SET accounts = t.accounts + 1
                """, cancellationToken, envelope.StreamId.Value, opened.AccountId, opened.Currency, envelope.StreamVersion);
        }

        var (deposited, withdrawn) = envelope.Event switch
        {
            MoneyDeposited e => (e.Amount, 0m),
            MoneyWithdrawn e => (0m, e.Amount),
            _ => throw new InvalidOperationException($"{Name} cannot project {envelope}."),
        };
        return BankTables.ExecuteAsync(context, $"""
            WITH changed AS (
                UPDATE {accounts} SET deposited = deposited + $3, withdrawn = withdrawn + $4,
                    transaction_count = transaction_count + 1, version = $2
                WHERE stream_id = $1 AND version < $2 RETURNING currency),
            bank AS (
                INSERT INTO {currencies} AS t (currency, deposited, withdrawn, transaction_count, accounts)
                SELECT currency, $3, $4, 1, 0 FROM changed
                ON CONFLICT (currency) DO UPDATE SET deposited = t.deposited + $3, withdrawn = t.withdrawn + $4,
                    transaction_count = t.transaction_count + 1)
            INSERT INTO {days} AS d (day, currency, deposited, withdrawn, transaction_count)
            SELECT $5, currency, $3, $4, 1 FROM changed
            ON CONFLICT (day, currency) DO UPDATE SET deposited = d.deposited + $3, withdrawn = d.withdrawn + $4,
                transaction_count = d.transaction_count + 1
            """, cancellationToken, envelope.StreamId.Value, envelope.StreamVersion, deposited, withdrawn, DateOnly.FromDateTime(envelope.Timestamp.UtcDateTime));
    }

    public ValueTask PrepareShadowAsync(ProjectionContext context, CancellationToken cancellationToken = default) =>
        tables.PrepareShadowAsync(context, cancellationToken, Tables);

    public ValueTask SwapAsync(ProjectionContext context, CancellationToken cancellationToken = default) =>
        tables.SwapAsync(context, cancellationToken, Tables);

    public async ValueTask<IReadOnlyList<CurrencyTotals>> GetTotalsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT currency, deposited, withdrawn, transaction_count, accounts FROM {tables.CurrencyTotals()} ORDER BY currency COLLATE \"C\"");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<CurrencyTotals>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new CurrencyTotals(reader.GetString(0), reader.GetDecimal(1), reader.GetDecimal(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return rows;
    }

    public async ValueTask<IReadOnlyList<DailyVolume>> GetDailyVolumeAsync(DateOnly? from = null, DateOnly? to = null, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT day, currency, deposited, withdrawn, transaction_count FROM {tables.DailyVolume()}
            WHERE ($1::date IS NULL OR day >= $1) AND ($2::date IS NULL OR day <= $2)
            ORDER BY day, currency COLLATE "C"
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from is { } f ? f : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter { Value = to is { } t ? t : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<DailyVolume>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new DailyVolume(reader.GetFieldValue<DateOnly>(0), reader.GetString(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetInt64(4)));
        }

        return rows;
    }

    public async ValueTask<AccountTotals?> GetAccountTotalsAsync(string accountId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT account_id, currency, deposited, withdrawn, transaction_count FROM {tables.AccountTotals()} WHERE stream_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = Account.StreamFor(accountId).Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new AccountTotals(reader.GetString(0), reader.GetString(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetInt64(4))
            : null;
    }
}
