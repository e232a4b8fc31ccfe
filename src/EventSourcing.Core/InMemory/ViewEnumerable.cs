using EventSourcing.Serialization;

namespace EventSourcing.InMemory;

/// <summary>
/// A synchronous, allocation-light async enumerable over a published slice of stored events, reading
/// each one back into a fresh envelope as it is reached.
/// </summary>
internal sealed class ViewEnumerable(StoredEvent[] items, int start, int end, EventTypeRegistry? registry, CancellationToken cancellationToken)
    : IAsyncEnumerable<EventEnvelope>
{
    public static ViewEnumerable Empty { get; } = new([], 0, 0, null, CancellationToken.None);

    public IAsyncEnumerator<EventEnvelope> GetAsyncEnumerator(CancellationToken cancellationToken1 = default) =>
        new Enumerator(items, start, end, registry!, cancellationToken1.CanBeCanceled ? cancellationToken1 : cancellationToken);

    private sealed class Enumerator(StoredEvent[] items, int start, int end, EventTypeRegistry registry, CancellationToken cancellationToken)
        : IAsyncEnumerator<EventEnvelope>
    {
        private int _index = start - 1;

        public EventEnvelope Current { get; private set; } = null!;

        public ValueTask<bool> MoveNextAsync()
        {
            if ((_index & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (++_index >= end)
            {
                return new ValueTask<bool>(false);
            }

            Current = items[_index].ToEnvelope(registry);
            return new ValueTask<bool>(true);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
