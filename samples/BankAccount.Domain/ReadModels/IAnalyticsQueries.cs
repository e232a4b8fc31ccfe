namespace BankAccount.Domain.ReadModels;

/// <summary>
/// Reads the analytics read model. It is fed asynchronously, so it may be a moment behind the streams;
/// callers depend on this interface, not on where the figures live.
/// </summary>
public interface IAnalyticsQueries
{
    /// <summary>Gets the bank-wide totals, one row per currency, ordered by currency.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The totals.</returns>
    ValueTask<IReadOnlyList<CurrencyTotals>> GetTotalsAsync(CancellationToken cancellationToken = default);

    /// <summary>Gets the daily volume, ordered by day then currency.</summary>
    /// <param name="from">The first day to include, or null for no lower bound.</param>
    /// <param name="to">The last day to include, or null for no upper bound.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One row per day and currency that saw a transaction.</returns>
    ValueTask<IReadOnlyList<DailyVolume>> GetDailyVolumeAsync(DateOnly? from = null, DateOnly? to = null, CancellationToken cancellationToken = default);

    /// <summary>Gets one account's totals.</summary>
    /// <param name="accountId">The account's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The totals, or null when the read model has not seen the account.</returns>
    ValueTask<AccountTotals?> GetAccountTotalsAsync(string accountId, CancellationToken cancellationToken = default);
}
