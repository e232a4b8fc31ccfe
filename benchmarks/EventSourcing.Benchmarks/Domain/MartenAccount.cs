namespace EventSourcing.Benchmarks.Domain;

/// <summary>
/// The same aggregate for Marten's live aggregation (its conventional Apply methods) and as its
/// snapshot document.
/// </summary>
public sealed class MartenAccount
{
    /// <summary>The stream key; Marten fills it.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>The stream version; Marten fills it.</summary>
    public long Version { get; set; }

    /// <summary>The balance.</summary>
    public decimal Balance { get; set; }

    /// <summary>Deposits plus withdrawals applied.</summary>
    public long Transactions { get; set; }

    /// <summary>Applies an opening.</summary>
    /// <param name="e">The event.</param>
    public void Apply(AccountOpened e) => Id = e.AccountId;

    /// <summary>Applies a deposit.</summary>
    /// <param name="e">The event.</param>
    public void Apply(MoneyDeposited e)
    {
        Balance += e.Amount;
        Transactions++;
    }

    /// <summary>Applies a withdrawal.</summary>
    /// <param name="e">The event.</param>
    public void Apply(MoneyWithdrawn e)
    {
        Balance -= e.Amount;
        Transactions++;
    }
}
