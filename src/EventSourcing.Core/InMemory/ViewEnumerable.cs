namespace EventSourcing.InMemory;

/// <summary>A synchronous, allocation-light async enumerable over a published slice of envelopes.</summary>
internal sealed class ViewEnumerable(EventEnvelope[] items, int start, int end, CancellationToken cancellationToken)
    : IAsyncEnumerable<EventEnvelope>
{
    public static ViewEnumerable Empty { get; } = new([], 0, 0, CancellationToken.None);

    public IAsyncEnumerator<EventEnvelope> GetAsyncEnumerator(CancellationToken cancellationToken1 = default) =>
        new Enumerator(items, start, end, cancellationToken1.CanBeCanceled ? cancellationToken1 : cancellationToken);

    private sealed class Enumerator(EventEnvelope[] items, int start, int end, CancellationToken cancellationToken)
        : IAsyncEnumerator<EventEnvelope>
    {
        private int _index = start - 1;

        public EventEnvelope Current => items[_index];

        public ValueTask<bool> MoveNextAsync()
        {
            if ((_index & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            return new ValueTask<bool>(++_index < end);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
