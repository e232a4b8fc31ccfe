namespace BankAccount.Domain.ReadModels;

/// <summary>One row of the current-state read model: an account as it is now.</summary>
/// <param name="AccountId">The account's id.</param>
/// <param name="Owner">The account holder.</param>
/// <param name="Currency">The account's ISO currency code.</param>
/// <param name="Balance">The balance.</param>
/// <param name="Status">Open or closed.</param>
/// <param name="Version">The stream version of the last event applied (the HTTP API's ETag).</param>
/// <param name="OpenedAt">When the account was opened.</param>
/// <param name="UpdatedAt">When the last event applied was appended.</param>
public sealed record AccountView(string AccountId, string Owner, string Currency, decimal Balance, AccountStatus Status, long Version, DateTimeOffset OpenedAt, DateTimeOffset UpdatedAt);
