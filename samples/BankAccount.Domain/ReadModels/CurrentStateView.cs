using BankAccount.Domain.Events;
using EventSourcing;
using EventSourcing.Documents;

namespace BankAccount.Domain.ReadModels;

/// <summary>
/// The current-state read model (account, owner, currency, balance, status, version) as documents, one
/// per account stream, with no SQL: it runs on whatever backend the application configured. Meant to
/// run inline, so it is never behind the stream it reads. An event at or below a document's version is a
/// redelivery and changes nothing.
/// </summary>
public sealed class CurrentStateView : View<AccountDocument>
{
    /// <summary>Registers the handlers.</summary>
    public CurrentStateView()
        : base(BankReadModels.CurrentState)
    {
        On<AccountOpened>((a, e, at) => Apply(a, at, () => (a.AccountId, a.Owner, a.Currency, a.Status, a.OpenedAt) = (e.AccountId, e.Owner, e.Currency, AccountStatus.Open, at.Timestamp)));
        On<MoneyDeposited>((a, e, at) => Apply(a, at, () => a.Balance += e.Amount));
        On<MoneyWithdrawn>((a, e, at) => Apply(a, at, () => a.Balance -= e.Amount));
        On<AccountClosed>((a, _, at) => Apply(a, at, () => a.Status = AccountStatus.Closed));
    }

    private static void Apply(AccountDocument account, EventEnvelope envelope, Action change)
    {
        if (envelope.StreamVersion <= account.Version)
        {
            return;
        }

        if (envelope.StreamVersion > 1 && account.Version == 0)
        {
            throw new InvalidOperationException($"{BankReadModels.CurrentState}: {envelope} arrived before its account was opened.");
        }

        change();
        account.Version = envelope.StreamVersion;
        account.UpdatedAt = envelope.Timestamp;
    }
}
