namespace BankAccount.Domain.ReadModels;

/// <summary>Bank-wide totals in one currency (amounts in different currencies are never added up).</summary>
/// <param name="Currency">The ISO currency code.</param>
/// <param name="Deposited">The sum of all deposits.</param>
/// <param name="Withdrawn">The sum of all withdrawals.</param>
/// <param name="TransactionCount">Deposits plus withdrawals.</param>
/// <param name="Accounts">Accounts opened in this currency.</param>
public sealed record CurrencyTotals(string Currency, decimal Deposited, decimal Withdrawn, long TransactionCount, long Accounts);
