using System.Collections.Concurrent;
using BankAccount.Domain.Events;
using EventSourcing;
using EventSourcing.Projections;

namespace BankAccount.Domain.ReadModels;

/// <summary>
/// The current-state read model (account, owner, currency, balance, status, version), in memory. Meant to
/// run inline, so it is never behind the stream it reads. Rows are immutable records swapped whole, so
/// readers on other threads never see half an update; an event at or below a row's version is a
/// redelivery and changes nothing.
/// </summary>
public sealed class CurrentStateProjection : IRebuildableProjection, IAccountQueries
{
    private volatile ConcurrentDictionary<string, AccountView> _live = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, AccountView> _shadow = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => BankReadModels.CurrentState;

    /// <inheritdoc />
    public IReadOnlyCollection<string> EventTypes { get; } = [BankEventNames.AccountOpened, BankEventNames.MoneyDeposited, BankEventNames.MoneyWithdrawn, BankEventNames.AccountClosed];

    /// <inheritdoc />
    public ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(context);
        var rows = context.IsRebuild ? _shadow : _live;
        var key = envelope.StreamId.Value;
        var row = rows.GetValueOrDefault(key);
        if (row is not null && envelope.StreamVersion <= row.Version)
        {
            return ValueTask.CompletedTask;
        }

        if (envelope.Event is AccountOpened opened)
        {
            rows[key] = new AccountView(opened.AccountId, opened.Owner, opened.Currency, 0m, AccountStatus.Open, envelope.StreamVersion, envelope.Timestamp, envelope.Timestamp);
            return ValueTask.CompletedTask;
        }

        var current = row ?? throw new InvalidOperationException($"{Name}: {envelope} arrived before its account was opened.");
        rows[key] = envelope.Event switch
        {
            MoneyDeposited e => current with { Balance = current.Balance + e.Amount, Version = envelope.StreamVersion, UpdatedAt = envelope.Timestamp },
            MoneyWithdrawn e => current with { Balance = current.Balance - e.Amount, Version = envelope.StreamVersion, UpdatedAt = envelope.Timestamp },
            AccountClosed => current with { Status = AccountStatus.Closed, Version = envelope.StreamVersion, UpdatedAt = envelope.Timestamp },
            _ => throw new InvalidOperationException($"{Name} cannot project {envelope}."),
        };
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask PrepareShadowAsync(ProjectionContext context, CancellationToken cancellationToken = default)
    {
        _shadow = new ConcurrentDictionary<string, AccountView>(StringComparer.Ordinal);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SwapAsync(ProjectionContext context, CancellationToken cancellationToken = default)
    {
        _live = _shadow;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<AccountView?> GetAccountAsync(string accountId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(BankReadModels.TryGetStreamKey(accountId, out var key) ? _live.GetValueOrDefault(key) : null);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AccountView>> ListAccountsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<AccountView>>(_live.Values.OrderBy(a => a.AccountId, StringComparer.Ordinal).ToList());
}
