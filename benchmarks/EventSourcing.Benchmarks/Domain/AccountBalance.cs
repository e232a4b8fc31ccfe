namespace EventSourcing.Benchmarks.Domain;

/// <summary>The read model the rebuild scenario produces: one row (or Marten document) per account.</summary>
public sealed class AccountBalance
{
    /// <summary>The account id.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>The balance.</summary>
    public decimal Balance { get; set; }

    /// <summary>Deposits plus withdrawals applied.</summary>
    public long Transactions { get; set; }

    /// <summary>Folds one event in; unknown events are ignored.</summary>
    /// <param name="event">The event.</param>
    public void Fold(object @event)
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
        }
    }
}
