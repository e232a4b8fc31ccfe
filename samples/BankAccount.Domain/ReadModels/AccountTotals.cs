namespace BankAccount.Domain.ReadModels;

/// <summary>One account's totals, as the article's read model kept them.</summary>
/// <param name="AccountId">The account's id.</param>
/// <param name="Currency">The account's currency.</param>
/// <param name="Deposited">The sum of its deposits.</param>
/// <param name="Withdrawn">The sum of its withdrawals.</param>
/// <param name="TransactionCount">Its deposits plus withdrawals.</param>
public sealed record AccountTotals(string AccountId, string Currency, decimal Deposited, decimal Withdrawn, long TransactionCount);
