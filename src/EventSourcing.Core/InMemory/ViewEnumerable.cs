using EventSourcing.Serialization;

namespace EventSourcing.InMemory;

/// <summary>
/// A synchronous, allocation-light async enumerable over a published slice of stored events, reading
/// each one back into a fresh envelope as it is reached: items[start..end), forward or backwards.
/// </summary>
internal sealed class ViewEnumerable(StoredEvent[] items, int start, int end, EventTypeRegistry? registry, CancellationToken cancellationToken, bool backwards = false)
    : IAsyncEnumerable<EventEnvelope>
{
    public static ViewEnumerable Empty { get; } = new([], 0, 0, null, CancellationToken.None);

    public IAsyncEnumerator<EventEnvelope> GetAsyncEnumerator(CancellationToken cancellationToken1 = default) =>
        new Enumerator(items, start, end, registry!, cancellationToken1.CanBeCanceled ? cancellationToken1 : cancellationToken, backwards);

    private sealed class Enumerator(StoredEvent[] items, int start, int end, EventTypeRegistry registry, CancellationToken cancellationToken, bool backwards)
        : IAsyncEnumerator<EventEnvelope>
    {
        private int _steps = -1;

        public EventEnvelope Current { get; private set; } = null!;

        public ValueTask<bool> MoveNextAsync()
        {
            if ((++_steps & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (_steps >= end - start)
            {
                return new ValueTask<bool>(false);
            }

            Current = items[backwards ? end - 1 - _steps : start + _steps].ToEnvelope(registry);
            return new ValueTask<bool>(true);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
