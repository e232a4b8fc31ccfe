namespace BankAccount.Domain.Events;

/// <summary>An account was opened. Stored as "account-opened".</summary>
/// <param name="AccountId">The account's id.</param>
/// <param name="Owner">The account holder.</param>
/// <param name="Currency">The ISO currency code every amount on the account is in.</param>
public sealed record AccountOpened(string AccountId, string Owner, string Currency);
