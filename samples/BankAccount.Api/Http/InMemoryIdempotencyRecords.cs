using System.Collections.Concurrent;

namespace BankAccount.Api.Http;

/// <summary>Idempotency records in process memory, for the in-memory store (they live and die with it).</summary>
internal sealed class InMemoryIdempotencyRecords(TimeProvider time) : IIdempotencyRecords
{
    /// <summary>Past this many records, expired ones are dropped.</summary>
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, IdempotencyRecord> _records = new(StringComparer.Ordinal);

    public ValueTask<IdempotencyRecord?> FindAsync(string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_records.GetValueOrDefault(id));

    public ValueTask SaveAsync(IdempotencyRecord record, CancellationToken cancellationToken)
    {
        _records.AddOrUpdate(record.Id, record, (_, kept) => IdempotencyStore.IsLive(kept, time.GetUtcNow()) ? kept : record);
        if (_records.Count > PruneAbove)
        {
            var now = time.GetUtcNow();
            foreach (var pair in _records)
            {
                if (!IdempotencyStore.IsLive(pair.Value, now))
                {
                    _records.TryRemove(pair);
                }
            }
        }

        return ValueTask.CompletedTask;
    }
}
