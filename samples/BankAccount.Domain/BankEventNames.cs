namespace BankAccount.Domain;

/// <summary>The stored names of the bank events (as registered by <see cref="BankEvents"/>), for projections.</summary>
public static class BankEventNames
{
    /// <summary>An account was opened.</summary>
    public const string AccountOpened = "account-opened";

    /// <summary>Money was paid in (v1 deposits are upcast to this name when read).</summary>
    public const string MoneyDeposited = "money-deposited";

    /// <summary>Money was taken out.</summary>
    public const string MoneyWithdrawn = "money-withdrawn";

    /// <summary>The account was closed.</summary>
    public const string AccountClosed = "account-closed";
}
