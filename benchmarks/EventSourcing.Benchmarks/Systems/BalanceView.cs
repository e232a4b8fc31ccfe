using EventSourcing.Benchmarks.Domain;
using EventSourcing.Documents;

namespace EventSourcing.Benchmarks.Systems;

/// <summary>
/// The per-account balance read model as a user writes it with the library: a single-stream view of
/// <see cref="AccountBalance"/> documents (one per account stream), no SQL. The equivalent of
/// <see cref="MartenBalanceProjection"/>.
/// </summary>
public sealed class BalanceView : View<AccountBalance>
{
    /// <summary>The view's name (and its document collection's).</summary>
    public const string ViewName = "balance-view";

    /// <summary>Registers the handlers.</summary>
    public BalanceView()
        : base(ViewName)
    {
        On<AccountOpened>((balance, e) => balance.Id = e.AccountId);
        On<MoneyDeposited>((balance, e) => balance.Fold(e));
        On<MoneyWithdrawn>((balance, e) => balance.Fold(e));
    }
}
