using EventSourcing.Serialization;
using EventSourcing.Storage;

namespace EventSourcing.InMemory;

/// <summary>
/// A synchronous, allocation-light async enumerable over a published slice of stored events, reading
/// each one back into a fresh envelope (or a replay's part of it) as it is reached: items[start..end),
/// forward or backwards.
/// </summary>
internal sealed class ViewEnumerable<T>(StoredEvent[] items, int start, int end, EventTypeRegistry? registry, Func<StoredEvent, EventTypeRegistry, T> read, CancellationToken cancellationToken, bool backwards = false)
    : IAsyncEnumerable<T>
{
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken1 = default) =>
        new Enumerator(items, start, end, registry!, read, cancellationToken1.CanBeCanceled ? cancellationToken1 : cancellationToken, backwards);

    private sealed class Enumerator(StoredEvent[] items, int start, int end, EventTypeRegistry registry, Func<StoredEvent, EventTypeRegistry, T> read, CancellationToken cancellationToken, bool backwards)
        : IAsyncEnumerator<T>
    {
        private int _steps = -1;

        public T Current { get; private set; } = default!;

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

            Current = read(items[backwards ? end - 1 - _steps : start + _steps], registry);
            return new ValueTask<bool>(true);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>The two shapes the in-memory store reads its events in.</summary>
internal static class ViewEnumerable
{
    private static readonly Func<StoredEvent, EventTypeRegistry, EventEnvelope> ToEnvelope = static (e, registry) => e.ToEnvelope(registry);
    private static readonly Func<StoredEvent, EventTypeRegistry, ReplayEvent> ToReplay = static (e, registry) => ReplayEvent.From(e.ToEnvelope(registry));

    public static IAsyncEnumerable<EventEnvelope> Empty { get; } = Envelopes([], 0, 0, null, CancellationToken.None);

    public static IAsyncEnumerable<ReplayEvent> EmptyReplay { get; } = Replay([], 0, 0, null, CancellationToken.None);

    public static IAsyncEnumerable<EventEnvelope> Envelopes(StoredEvent[] items, int start, int end, EventTypeRegistry? registry, CancellationToken cancellationToken, bool backwards = false) =>
        new ViewEnumerable<EventEnvelope>(items, start, end, registry, ToEnvelope, cancellationToken, backwards);

    public static IAsyncEnumerable<ReplayEvent> Replay(StoredEvent[] items, int start, int end, EventTypeRegistry? registry, CancellationToken cancellationToken) =>
        new ViewEnumerable<ReplayEvent>(items, start, end, registry, ToReplay, cancellationToken);
}
