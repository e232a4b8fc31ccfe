using EventSourcing.Benchmarks.Domain;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Benchmarks.Systems;

/// <summary>
/// The rebuild work shared by our store and raw Npgsql, so both do exactly the same thing: fold events
/// into per-account balances and upsert the changed rows in batches into <c>readmodel.balances</c>.
/// </summary>
public sealed class BalanceFolder(NpgsqlDataSource dataSource)
{
    /// <summary>Events between two upserts of the changed balances.</summary>
    public const int FlushEvery = 10_000;

    /// <summary>The DDL of the read model (idempotent).</summary>
    public const string Ddl = """
        create schema if not exists readmodel;
        create table if not exists readmodel.balances (
          account_id   text primary key,
          balance      numeric not null,
          transactions bigint not null);
        """;

    private readonly Dictionary<string, AccountBalance> _balances = new(StringComparer.Ordinal);
    private readonly HashSet<AccountBalance> _dirty = new(ReferenceEqualityComparer.Instance);
    private int _pending;

    /// <summary>Events folded so far.</summary>
    public long Events { get; private set; }

    /// <summary>Empties the read model and the fold.</summary>
    /// <returns>A task.</returns>
    public async Task ResetAsync()
    {
        _balances.Clear();
        _dirty.Clear();
        _pending = 0;
        Events = 0;
        await using var command = dataSource.CreateCommand("truncate readmodel.balances");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Folds one event; every <see cref="FlushEvery"/> events the changed balances are upserted.</summary>
    /// <param name="event">The event.</param>
    /// <returns>A task that completes when any due flush is written.</returns>
    public ValueTask FoldAsync(object @event)
    {
        var accountId = @event switch
        {
            MoneyDeposited d => d.AccountId,
            MoneyWithdrawn w => w.AccountId,
            AccountOpened o => o.AccountId,
            _ => null,
        };
        if (accountId is not null)
        {
            if (!_balances.TryGetValue(accountId, out var balance))
            {
                balance = new AccountBalance { Id = accountId };
                _balances.Add(accountId, balance);
            }

            _dirty.Add(balance);
            balance.Fold(@event);
        }

        Events++;
        return ++_pending >= FlushEvery ? new ValueTask(FlushAsync()) : ValueTask.CompletedTask;
    }

    /// <summary>Upserts the balances changed since the last flush.</summary>
    /// <returns>A task.</returns>
    public async Task FlushAsync()
    {
        _pending = 0;
        if (_dirty.Count == 0)
        {
            return;
        }

        var ids = new string[_dirty.Count];
        var amounts = new decimal[_dirty.Count];
        var counts = new long[_dirty.Count];
        var i = 0;
        foreach (var balance in _dirty)
        {
            ids[i] = balance.Id;
            amounts[i] = balance.Balance;
            counts[i] = balance.Transactions;
            i++;
        }

        _dirty.Clear();
        await using var command = dataSource.CreateCommand("""
            insert into readmodel.balances (account_id, balance, transactions)
            select * from unnest($1::text[], $2::numeric[], $3::bigint[])
            on conflict (account_id) do update set balance = excluded.balance, transactions = excluded.transactions
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = amounts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Numeric });
        command.Parameters.Add(new NpgsqlParameter { Value = counts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        await command.ExecuteNonQueryAsync();
    }
}
