namespace BankAccount.Domain.Events;

/// <summary>Money was taken out. Stored as "money-withdrawn".</summary>
/// <param name="Amount">The amount, positive, in the account's currency.</param>
public sealed record MoneyWithdrawn(decimal Amount);
