using EventSourcing.Benchmarks.Domain;
using EventSourcing.Postgres;
using EventSourcing.Projections;
using Npgsql;

namespace EventSourcing.Benchmarks.Systems;

/// <summary>
/// The per-account balance read model as a library projection, for the Core projection daemon on
/// PostgreSQL: each batch is folded in memory and written as one upsert in the daemon's unit of work
/// (the batch's transaction, which also moves the checkpoint); single events (the failure fallback)
/// are one upsert each. A rebuild writes a shadow table and swaps it in.
/// </summary>
public sealed class BalanceProjection : IRebuildableProjection, IBatchProjection
{
    private const string Live = "readmodel.balances";
    private const string Shadow = "readmodel.balances_rebuild";
    private static readonly string LiveUpsert = Upsert(Live);
    private static readonly string ShadowUpsert = Upsert(Shadow);
    private static readonly string LiveBatchUpsert = BatchUpsert(Live);
    private static readonly string ShadowBatchUpsert = BatchUpsert(Shadow);

    /// <inheritdoc />
    public string Name => "balances";

    /// <inheritdoc />
    public IReadOnlyCollection<string> EventTypes { get; } = [EventFactory.OpenedName, EventFactory.DepositedName, EventFactory.WithdrawnName];

    /// <inheritdoc />
    public async ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        var (accountId, delta, transactions) = envelope.Event switch
        {
            MoneyDeposited d => (d.AccountId, d.Amount, 1L),
            MoneyWithdrawn w => (w.AccountId, -w.Amount, 1L),
            AccountOpened o => (o.AccountId, 0m, 0L),
            _ => (null, 0m, 0L),
        };
        if (accountId is null)
        {
            return;
        }

        var pg = (PostgresProjectionContext)context;
        await using var command = new NpgsqlCommand(context.IsRebuild ? ShadowUpsert : LiveUpsert, pg.Connection, pg.Transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = accountId });
        command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = delta });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = transactions });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask ProjectBatchAsync(IReadOnlyList<EventEnvelope> batch, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        var changes = new Dictionary<string, (decimal Delta, long Transactions)>(StringComparer.Ordinal);
        foreach (var envelope in batch)
        {
            var (accountId, delta, transactions) = envelope.Event switch
            {
                MoneyDeposited d => (d.AccountId, d.Amount, 1L),
                MoneyWithdrawn w => (w.AccountId, -w.Amount, 1L),
                AccountOpened o => (o.AccountId, 0m, 0L),
                _ => (null, 0m, 0L),
            };
            if (accountId is not null)
            {
                var current = changes.GetValueOrDefault(accountId);
                changes[accountId] = (current.Delta + delta, current.Transactions + transactions);
            }
        }

        if (changes.Count == 0)
        {
            return;
        }

        var ids = new string[changes.Count];
        var deltas = new decimal[changes.Count];
        var counts = new long[changes.Count];
        var i = 0;
        foreach (var (id, (delta, transactions)) in changes)
        {
            (ids[i], deltas[i], counts[i]) = (id, delta, transactions);
            i++;
        }

        var pg = (PostgresProjectionContext)context;
        await using var command = new NpgsqlCommand(context.IsRebuild ? ShadowBatchUpsert : LiveBatchUpsert, pg.Connection, pg.Transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = deltas });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = counts });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask PrepareShadowAsync(ProjectionContext context, CancellationToken cancellationToken = default) =>
        ExecuteAsync(context, $"drop table if exists {Shadow}; create table {Shadow} (like {Live} including all)", cancellationToken);

    /// <inheritdoc />
    public ValueTask SwapAsync(ProjectionContext context, CancellationToken cancellationToken = default) =>
        ExecuteAsync(context, $"drop table {Live}; alter table {Shadow} rename to balances", cancellationToken);

    private static string Upsert(string table) =>
        $"insert into {table} as b (account_id, balance, transactions) values ($1, $2, $3) " +
        "on conflict (account_id) do update set balance = b.balance + excluded.balance, transactions = b.transactions + excluded.transactions";

    private static string BatchUpsert(string table) =>
        $"insert into {table} as b (account_id, balance, transactions) select * from unnest($1::text[], $2::numeric[], $3::bigint[]) " +
        "on conflict (account_id) do update set balance = b.balance + excluded.balance, transactions = b.transactions + excluded.transactions";

    private static async ValueTask ExecuteAsync(ProjectionContext context, string sql, CancellationToken cancellationToken)
    {
        var pg = (PostgresProjectionContext)context;
        await using var command = new NpgsqlCommand(sql, pg.Connection, pg.Transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
