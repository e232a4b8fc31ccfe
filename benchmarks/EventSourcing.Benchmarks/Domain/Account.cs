using EventSourcing.Aggregates;

namespace EventSourcing.Benchmarks.Domain;

/// <summary>The aggregate every load scenario replays: a balance and a transaction count.</summary>
public sealed class Account : AggregateRoot<AccountState>
{
    /// <summary>The account id.</summary>
    public string? Id { get; private set; }

    /// <summary>The balance.</summary>
    public decimal Balance { get; private set; }

    /// <summary>Deposits plus withdrawals applied.</summary>
    public long Transactions { get; private set; }

    /// <inheritdoc />
    protected override string SnapshotName => "Account";

    /// <summary>The version raw Npgsql's load reached (the repository tracks <see cref="AggregateRoot.Version"/> itself).</summary>
    public long RawVersion { get; private set; }

    /// <summary>Replays one stored event (raw Npgsql uses this to do the repository's apply work).</summary>
    /// <param name="event">The event.</param>
    /// <param name="version">Its stream version.</param>
    public void ReplayRaw(object @event, long version)
    {
        Apply(@event);
        RawVersion = version;
    }

    /// <summary>Restores a snapshot (raw Npgsql's snapshot path).</summary>
    /// <param name="state">The snapshot.</param>
    /// <param name="version">The version it represents.</param>
    public void RestoreRaw(AccountState state, long version)
    {
        FromSnapshot(state);
        RawVersion = version;
    }

    /// <inheritdoc />
    protected override void Apply(object @event)
    {
        switch (@event)
        {
            case MoneyDeposited d:
                Balance += d.Amount;
                Transactions++;
                break;
            case MoneyWithdrawn w:
                Balance -= w.Amount;
                Transactions++;
                break;
            case AccountOpened o:
                Id = o.AccountId;
                break;
        }
    }

    /// <inheritdoc />
    protected override AccountState ToSnapshot() => new(Id ?? string.Empty, Balance, Transactions);

    /// <inheritdoc />
    protected override void FromSnapshot(AccountState snapshot)
    {
        Id = snapshot.AccountId;
        Balance = snapshot.Balance;
        Transactions = snapshot.Transactions;
    }
}
