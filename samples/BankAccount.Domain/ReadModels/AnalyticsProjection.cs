using BankAccount.Domain.Events;
using EventSourcing;
using EventSourcing.Projections;

namespace BankAccount.Domain.ReadModels;

/// <summary>
/// The analytics read model: totals deposited and withdrawn and transaction counts per currency and per
/// account, and the daily volume, in memory. Meant to run asynchronously. One event touches several
/// figures, so each model is changed and read under its own lock: readers see an event's effect whole
/// or not at all. Each account remembers the last stream version applied, so redelivery changes nothing.
/// </summary>
public sealed class AnalyticsProjection : IRebuildableProjection, IAnalyticsQueries
{
    private volatile Model _live = new();
    private Model _shadow = new();

    /// <inheritdoc />
    public string Name => BankReadModels.Analytics;

    /// <inheritdoc />
    public IReadOnlyCollection<string> EventTypes { get; } = [BankEventNames.AccountOpened, BankEventNames.MoneyDeposited, BankEventNames.MoneyWithdrawn];

    /// <inheritdoc />
    public ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(context);
        (context.IsRebuild ? _shadow : _live).Apply(envelope, Name);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask PrepareShadowAsync(ProjectionContext context, CancellationToken cancellationToken = default)
    {
        _shadow = new Model();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SwapAsync(ProjectionContext context, CancellationToken cancellationToken = default)
    {
        _live = _shadow;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CurrencyTotals>> GetTotalsAsync(CancellationToken cancellationToken = default)
    {
        var model = _live;
        lock (model.Gate)
        {
            return ValueTask.FromResult<IReadOnlyList<CurrencyTotals>>(model.Currencies.Values.OrderBy(t => t.Currency, StringComparer.Ordinal).ToList());
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DailyVolume>> GetDailyVolumeAsync(DateOnly? from = null, DateOnly? to = null, CancellationToken cancellationToken = default)
    {
        var model = _live;
        lock (model.Gate)
        {
            return ValueTask.FromResult<IReadOnlyList<DailyVolume>>(model.Days.Values
                .Where(d => (from is null || d.Day >= from) && (to is null || d.Day <= to))
                .OrderBy(d => d.Day).ThenBy(d => d.Currency, StringComparer.Ordinal)
                .ToList());
        }
    }

    /// <inheritdoc />
    public ValueTask<AccountTotals?> GetAccountTotalsAsync(string accountId, CancellationToken cancellationToken = default)
    {
        var model = _live;
        if (!BankReadModels.TryGetStreamKey(accountId, out var key))
        {
            return ValueTask.FromResult<AccountTotals?>(null);
        }

        lock (model.Gate)
        {
            return ValueTask.FromResult(model.Accounts.TryGetValue(key, out var row) ? row.Totals : null);
        }
    }

    /// <summary>One copy of the read model (live or shadow).</summary>
    private sealed class Model
    {
        /// <summary>Held while the model is changed or read.</summary>
        public Lock Gate { get; } = new();

        public Dictionary<string, (long Version, AccountTotals Totals)> Accounts { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, CurrencyTotals> Currencies { get; } = new(StringComparer.Ordinal);

        public Dictionary<(DateOnly Day, string Currency), DailyVolume> Days { get; } = [];

        public void Apply(EventEnvelope envelope, string projection)
        {
            var key = envelope.StreamId.Value;
            lock (Gate)
            {
                var known = Accounts.TryGetValue(key, out var row);
                if (known && envelope.StreamVersion <= row.Version)
                {
                    return;
                }

                if (envelope.Event is AccountOpened opened)
                {
                    Accounts[key] = (envelope.StreamVersion, new AccountTotals(opened.AccountId, opened.Currency, 0m, 0m, 0));
                    var totals = Currencies.GetValueOrDefault(opened.Currency) ?? new CurrencyTotals(opened.Currency, 0m, 0m, 0, 0);
                    Currencies[opened.Currency] = totals with { Accounts = totals.Accounts + 1 };
                    return;
                }

                if (!known)
                {
                    throw new InvalidOperationException($"{projection}: {envelope} arrived before its account was opened.");
                }

                var (deposited, withdrawn) = envelope.Event switch
                {
                    MoneyDeposited e => (e.Amount, 0m),
                    MoneyWithdrawn e => (0m, e.Amount),
                    _ => throw new InvalidOperationException($"{projection} cannot project {envelope}."),
                };
                var account = row.Totals;
                var currency = account.Currency;
                Accounts[key] = (envelope.StreamVersion, account with
                {
                    Deposited = account.Deposited + deposited,
                    Withdrawn = account.Withdrawn + withdrawn,
                    TransactionCount = account.TransactionCount + 1,
                });

                var bank = Currencies[currency];
                Currencies[currency] = bank with
                {
                    Deposited = bank.Deposited + deposited,
                    Withdrawn = bank.Withdrawn + withdrawn,
                    TransactionCount = bank.TransactionCount + 1,
                };

                var day = DateOnly.FromDateTime(envelope.Timestamp.UtcDateTime);
                var volume = Days.GetValueOrDefault((day, currency)) ?? new DailyVolume(day, currency, 0m, 0m, 0);
                Days[(day, currency)] = volume with
                {
                    Deposited = volume.Deposited + deposited,
                    Withdrawn = volume.Withdrawn + withdrawn,
                    TransactionCount = volume.TransactionCount + 1,
                };
            }
        }
    }
}
