namespace BankAccount.Domain.ReadModels;

/// <summary>What moved on one day (UTC) in one currency.</summary>
/// <param name="Day">The day, by the events' UTC timestamps.</param>
/// <param name="Currency">The ISO currency code.</param>
/// <param name="Deposited">The sum of the day's deposits.</param>
/// <param name="Withdrawn">The sum of the day's withdrawals.</param>
/// <param name="TransactionCount">The day's deposits plus withdrawals.</param>
public sealed record DailyVolume(DateOnly Day, string Currency, decimal Deposited, decimal Withdrawn, long TransactionCount);
