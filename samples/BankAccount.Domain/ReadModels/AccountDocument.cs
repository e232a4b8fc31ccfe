namespace BankAccount.Domain.ReadModels;

/// <summary>The current-state document of one account, kept by <see cref="CurrentStateView"/>.</summary>
public sealed class AccountDocument
{
    /// <summary>The account's id.</summary>
    public string AccountId { get; set; } = string.Empty;

    /// <summary>The account holder.</summary>
    public string Owner { get; set; } = string.Empty;

    /// <summary>The account's ISO currency code.</summary>
    public string Currency { get; set; } = string.Empty;

    /// <summary>The balance.</summary>
    public decimal Balance { get; set; }

    /// <summary>Open or closed.</summary>
    public AccountStatus Status { get; set; }

    /// <summary>The stream version of the last event applied.</summary>
    public long Version { get; set; }

    /// <summary>When the account was opened.</summary>
    public DateTimeOffset OpenedAt { get; set; }

    /// <summary>When the last event applied was appended.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The row the queries hand out.</summary>
    /// <returns>The account as a view.</returns>
    public AccountView ToView() => new(AccountId, Owner, Currency, Balance, Status, Version, OpenedAt, UpdatedAt);
}
