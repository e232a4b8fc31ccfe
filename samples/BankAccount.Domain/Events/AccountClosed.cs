namespace BankAccount.Domain.Events;

/// <summary>The account was closed; nothing more happens on it. Stored as "account-closed".</summary>
/// <param name="Reason">Why it was closed.</param>
public sealed record AccountClosed(string Reason);
