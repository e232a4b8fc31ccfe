using BankAccount.Domain;
using BankAccount.Domain.Events;
using BankAccount.Domain.ReadModels;
using EventSourcing;
using EventSourcing.Projections;
using Npgsql;

namespace BankAccount.Api.PostgresReadModels;

/// <summary>
/// The current-state read model as a PostgreSQL table, written inline (in the append's transaction).
/// Each write is guarded by the row's version, so a redelivered event changes nothing.
/// </summary>
internal sealed class PostgresCurrentStateProjection(BankTables tables, NpgsqlDataSource dataSource) : IRebuildableProjection, IAccountQueries
{
    public string Name => BankReadModels.CurrentState;

    public IReadOnlyCollection<string> EventTypes { get; } = [BankEventNames.AccountOpened, BankEventNames.MoneyDeposited, BankEventNames.MoneyWithdrawn, BankEventNames.AccountClosed];

    public ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        var table = tables.Accounts(context.IsRebuild);
        var at = envelope.Timestamp.ToUniversalTime();
        return envelope.Event switch
        {
            AccountOpened e => BankTables.ExecuteAsync(context, $"""
                INSERT INTO {table} (stream_id, account_id, owner, currency, balance, status, version, opened_at, updated_at)
                VALUES ($1, $2, $3, $4, 0, 'open', $5, $6, $6) ON CONFLICT (stream_id) DO NOTHING
                """, cancellationToken, envelope.StreamId.Value, e.AccountId, e.Owner, e.Currency, envelope.StreamVersion, at),
            MoneyDeposited e => Change("balance = balance + $4", e.Amount),
            MoneyWithdrawn e => Change("balance = balance - $4", e.Amount),
            AccountClosed => Change("status = 'closed'"),
            _ => throw new InvalidOperationException($"{Name} cannot project {envelope}."),
        };

        ValueTask Change(string set, params object?[] more) => BankTables.ExecuteAsync(
            context,
            $"UPDATE {table} SET {set}, version = $2, updated_at = $3 WHERE stream_id = $1 AND version < $2",
            cancellationToken,
            [envelope.StreamId.Value, envelope.StreamVersion, at, .. more]);
    }

    public ValueTask PrepareShadowAsync(ProjectionContext context, CancellationToken cancellationToken = default) =>
        tables.PrepareShadowAsync(context, cancellationToken, "accounts");

    public ValueTask SwapAsync(ProjectionContext context, CancellationToken cancellationToken = default) =>
        tables.SwapAsync(context, cancellationToken, "accounts");

    public async ValueTask<AccountView?> GetAccountAsync(string accountId, CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync($"WHERE stream_id = $1", Account.StreamFor(accountId).Value, cancellationToken);
        return rows.Count > 0 ? rows[0] : null;
    }

    public async ValueTask<IReadOnlyList<AccountView>> ListAccountsAsync(CancellationToken cancellationToken = default) =>
        await QueryAsync("ORDER BY account_id COLLATE \"C\"", null, cancellationToken);

    private async Task<List<AccountView>> QueryAsync(string where, string? streamId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT account_id, owner, currency, balance, status, version, opened_at, updated_at FROM {tables.Accounts()} {where}");
        if (streamId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = streamId });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<AccountView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new AccountView(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetDecimal(3),
                reader.GetString(4) == "closed" ? AccountStatus.Closed : AccountStatus.Open,
                reader.GetInt64(5),
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetFieldValue<DateTimeOffset>(7)));
        }

        return rows;
    }
}
