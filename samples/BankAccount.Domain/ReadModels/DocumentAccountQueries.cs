using EventSourcing.Documents;

namespace BankAccount.Domain.ReadModels;

/// <summary>Reads the current state from the documents of <see cref="CurrentStateView"/>.</summary>
/// <param name="documents">The document reader.</param>
public sealed class DocumentAccountQueries(DocumentReader documents) : IAccountQueries
{
    /// <inheritdoc />
    public async ValueTask<AccountView?> GetAccountAsync(string accountId, CancellationToken cancellationToken = default) =>
        BankReadModels.TryGetStreamKey(accountId, out var key)
            ? (await documents.LoadAsync<AccountDocument>(key, cancellationToken).ConfigureAwait(false))?.ToView()
            : null;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<AccountView>> ListAccountsAsync(CancellationToken cancellationToken = default)
    {
        var accounts = new List<AccountView>();
        string? after = null;
        do
        {
            var page = await documents.ListAsync<AccountDocument>(after, 500, cancellationToken).ConfigureAwait(false);
            accounts.AddRange(page.Items.Select(item => item.Value.ToView()));
            after = page.Next;
        }
        while (after is not null);

        return [.. accounts.OrderBy(a => a.AccountId, StringComparer.Ordinal)];
    }
}
