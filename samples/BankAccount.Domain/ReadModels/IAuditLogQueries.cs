namespace BankAccount.Domain.ReadModels;

/// <summary>
/// Reads the audit-log read model. It is fed asynchronously, so the newest entries may be a moment late;
/// callers depend on this interface, not on where the entries live.
/// </summary>
public interface IAuditLogQueries
{
    /// <summary>Gets a page of an account's audit log, oldest first, by stream version (keyset paging).</summary>
    /// <param name="accountId">The account's id.</param>
    /// <param name="afterVersion">Return entries after this stream version; 0 for the first page.</param>
    /// <param name="limit">The most entries to return, at least 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page; empty when the log has nothing for the account (yet).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="afterVersion"/> is negative or <paramref name="limit"/> below 1.</exception>
    ValueTask<AuditPage> GetPageAsync(string accountId, long afterVersion = 0, int limit = 50, CancellationToken cancellationToken = default);
}
