namespace BankAccount.Domain.Events;

/// <summary>Money was paid in. Stored as "money-deposited" (the second version of the event).</summary>
/// <param name="Amount">The amount, positive.</param>
/// <param name="Currency">The currency, the account's own.</param>
public sealed record MoneyDeposited(decimal Amount, string Currency);
