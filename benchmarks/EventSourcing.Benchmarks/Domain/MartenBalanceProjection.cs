using Marten.Events.Aggregation;

namespace EventSourcing.Benchmarks.Domain;

/// <summary>The per-account balance projection as Marten users write it: a single-stream projection.</summary>
public sealed class MartenBalanceProjection : SingleStreamProjection<AccountBalance, string>
{
    /// <summary>Starts a balance.</summary>
    /// <param name="e">The opening.</param>
    /// <returns>The new document.</returns>
    public static AccountBalance Create(AccountOpened e) => new() { Id = e.AccountId };

    /// <summary>Applies a deposit.</summary>
    /// <param name="e">The event.</param>
    /// <param name="balance">The document.</param>
    public static void Apply(MoneyDeposited e, AccountBalance balance) => balance.Fold(e);

    /// <summary>Applies a withdrawal.</summary>
    /// <param name="e">The event.</param>
    /// <param name="balance">The document.</param>
    public static void Apply(MoneyWithdrawn e, AccountBalance balance) => balance.Fold(e);
}
