using System.Collections.Concurrent;
using BankAccount.Domain.Events;
using EventSourcing;
using EventSourcing.Projections;

namespace BankAccount.Domain.ReadModels;

/// <summary>
/// The audit-log read model: every account event with who (the user header), what (type, amount) and
/// when (timestamp, correlation id, stream version), in memory, per account in stream order. Meant to run
/// asynchronously. An entry at or below an account's last version is a redelivery and is not added again.
/// </summary>
public sealed class AuditLogProjection : IRebuildableProjection, IAuditLogQueries
{
    private volatile ConcurrentDictionary<string, AccountLog> _live = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, AccountLog> _shadow = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => BankReadModels.AuditLog;

    /// <inheritdoc />
    public IReadOnlyCollection<string> EventTypes { get; } = [BankEventNames.AccountOpened, BankEventNames.MoneyDeposited, BankEventNames.MoneyWithdrawn, BankEventNames.AccountClosed];

    /// <inheritdoc />
    public ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(context);
        var logs = context.IsRebuild ? _shadow : _live;
        var key = envelope.StreamId.Value;
        if (envelope.Event is AccountOpened opened)
        {
            var log = logs.GetOrAdd(key, static (_, o) => new AccountLog(o.AccountId, o.Currency), opened);
            log.Add(envelope, $"opened for {opened.Owner} in {opened.Currency}", amount: null);
            return ValueTask.CompletedTask;
        }

        var account = logs.GetValueOrDefault(key) ?? throw new InvalidOperationException($"{Name}: {envelope} arrived before its account was opened.");
        switch (envelope.Event)
        {
            case MoneyDeposited e:
                account.Add(envelope, "deposit of " + Money.Format(e.Amount, e.Currency), e.Amount);
                break;
            case MoneyWithdrawn e:
                account.Add(envelope, "withdrawal of " + Money.Format(e.Amount, account.Currency), e.Amount);
                break;
            case AccountClosed e:
                account.Add(envelope, "closed: " + e.Reason, amount: null);
                break;
            default:
                throw new InvalidOperationException($"{Name} cannot project {envelope}.");
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask PrepareShadowAsync(ProjectionContext context, CancellationToken cancellationToken = default)
    {
        _shadow = new ConcurrentDictionary<string, AccountLog>(StringComparer.Ordinal);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SwapAsync(ProjectionContext context, CancellationToken cancellationToken = default)
    {
        _live = _shadow;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<AuditPage> GetPageAsync(string accountId, long afterVersion = 0, int limit = 50, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterVersion);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (!BankReadModels.TryGetStreamKey(accountId, out var key) || !_live.TryGetValue(key, out var log))
        {
            return ValueTask.FromResult(new AuditPage(accountId, [], 0, null));
        }

        return ValueTask.FromResult(log.Page(afterVersion, limit));
    }

    /// <summary>One account's entries, in stream order.</summary>
    private sealed class AccountLog(string accountId, string currency)
    {
        private readonly List<AuditEntry> _entries = [];
        private readonly Lock _gate = new();

        public string Currency { get; } = currency;

        public void Add(EventEnvelope envelope, string description, decimal? amount)
        {
            lock (_gate)
            {
                if (_entries.Count > 0 && envelope.StreamVersion <= _entries[^1].StreamVersion)
                {
                    return;
                }

                var user = envelope.Metadata.Headers.GetValueOrDefault(BankMetadata.UserHeader) ?? BankMetadata.UnknownUser;
                _entries.Add(new AuditEntry(accountId, envelope.StreamVersion, envelope.EventType, description, amount, Currency, user, envelope.Metadata.CorrelationId, envelope.Timestamp, envelope.EventId));
            }
        }

        public AuditPage Page(long afterVersion, int limit)
        {
            lock (_gate)
            {
                // Versions are increasing, so the first entry after afterVersion is found by binary search.
                int lo = 0, hi = _entries.Count;
                while (lo < hi)
                {
                    var mid = (lo + hi) >>> 1;
                    if (_entries[mid].StreamVersion <= afterVersion)
                    {
                        lo = mid + 1;
                    }
                    else
                    {
                        hi = mid;
                    }
                }

                var count = Math.Min(limit, _entries.Count - lo);
                var page = _entries.GetRange(lo, count);
                long? next = lo + count < _entries.Count ? page[^1].StreamVersion : null;
                return new AuditPage(accountId, page, _entries.Count, next);
            }
        }
    }
}
