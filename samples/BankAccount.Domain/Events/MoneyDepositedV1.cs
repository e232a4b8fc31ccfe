namespace BankAccount.Domain.Events;

/// <summary>
/// The first version of <see cref="MoneyDeposited"/>, written by releases that only knew one currency.
/// Stored as "money-deposited.v1"; never raised any more, only read, and upcast on read.
/// </summary>
/// <param name="Amount">The amount, in <see cref="BankEvents.LegacyCurrency"/>.</param>
public sealed record MoneyDepositedV1(decimal Amount);
