namespace BankAccount.Domain.ReadModels;

/// <summary>
/// Reads the current-state read model. Callers depend on this, not on where the rows live, so a
/// PostgreSQL table can replace the documents of <see cref="CurrentStateView"/> without changing them.
/// </summary>
public interface IAccountQueries
{
    /// <summary>Gets one account.</summary>
    /// <param name="accountId">The account's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The account, or null when the read model has no such account.</returns>
    ValueTask<AccountView?> GetAccountAsync(string accountId, CancellationToken cancellationToken = default);

    /// <summary>Lists every account, ordered by id.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The accounts.</returns>
    ValueTask<IReadOnlyList<AccountView>> ListAccountsAsync(CancellationToken cancellationToken = default);
}
