using System.Collections.Concurrent;
using EventSourcing.Projections;

namespace EventSourcing.InMemory;

/// <summary>
/// The embedded projection backend: fenced checkpoints (shared with an <see cref="InMemoryCheckpointStore"/>),
/// dead letters and in-process leases. Read models in memory cannot be rolled back, so handlers must be
/// idempotent (e.g. skip events at or below the version they already applied); delivery is at least once.
/// </summary>
public sealed class InMemoryProjectionStore : IProjectionStore
{
    private readonly InMemoryEventStore _events;
    private readonly InMemoryCheckpointStore _checkpoints;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _leases = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<DeadLetter> _deadLetters = new();
    private readonly Lock _commit = new();

    /// <summary>Creates the store.</summary>
    /// <param name="events">The event store whose log projections read (for counting).</param>
    /// <param name="checkpoints">Where checkpoints live.</param>
    /// <param name="timeProvider">The clock for dead-letter timestamps.</param>
    public InMemoryProjectionStore(InMemoryEventStore events, InMemoryCheckpointStore checkpoints, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(checkpoints);
        _events = events;
        _checkpoints = checkpoints;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public ValueTask<ProjectionTransaction> BeginAsync(string projectionName, bool isRebuild, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        return ValueTask.FromResult<ProjectionTransaction>(new Transaction(this, new ProjectionContext(projectionName, isRebuild) { Documents = _events.Documents.BeginSession() }));
    }

    /// <inheritdoc />
    public ValueTask<IAsyncDisposable?> TryAcquireLeaseAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        var gate = _leases.GetOrAdd(projectionName, static _ => new SemaphoreSlim(1, 1));
        return ValueTask.FromResult<IAsyncDisposable?>(gate.Wait(0) ? new Lease(gate) : null);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(string projectionName, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<DeadLetter>>(_deadLetters.Where(d => d.ProjectionName == projectionName).ToList());

    /// <inheritdoc />
    public ValueTask<long> CountEventsAsync(IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_events.CountEvents(eventTypes));

    private sealed class Lease(SemaphoreSlim gate) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class Transaction(InMemoryProjectionStore store, ProjectionContext context) : ProjectionTransaction
    {
        private readonly List<(string Name, GlobalPosition? Expected, GlobalPosition Position)> _moves = [];
        private readonly List<DeadLetter> _letters = [];

        public override ProjectionContext Context => context;

        public override ValueTask<GlobalPosition?> LoadCheckpointAsync(string name, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(store._checkpoints.Get(name));

        public override ValueTask SaveCheckpointAsync(string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken = default)
        {
            _moves.Add((name, expected, position));
            return ValueTask.CompletedTask;
        }

        public override ValueTask DeadLetterAsync(EventEnvelope envelope, Exception error, CancellationToken cancellationToken = default)
        {
            _letters.Add(new DeadLetter(context.ProjectionName, envelope.EventId, envelope.StreamId, envelope.StreamVersion, envelope.Position, error.ToString(), store._time.GetUtcNow()));
            return ValueTask.CompletedTask;
        }

        public override ValueTask CommitAsync(CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (store._commit)
            {
                foreach (var (name, expected, _) in _moves)
                {
                    if (store._checkpoints.Get(name) != expected)
                    {
                        throw new CheckpointConflictException(name, expected);
                    }
                }

                foreach (var (name, expected, position) in _moves)
                {
                    if (!store._checkpoints.TryMove(name, expected, position))
                    {
                        throw new CheckpointConflictException(name, expected);
                    }
                }

                foreach (var letter in _letters)
                {
                    store._deadLetters.Enqueue(letter);
                }

                ((InMemoryDocumentSession)context.Documents!).Commit();
            }

            _moves.Clear();
            _letters.Clear();
            return ValueTask.CompletedTask;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
