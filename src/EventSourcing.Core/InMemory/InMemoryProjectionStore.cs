using System.Collections.Concurrent;
using EventSourcing.Projections;

namespace EventSourcing.InMemory;

/// <summary>
/// The embedded projection backend: fenced checkpoints (shared with an <see cref="InMemoryCheckpointStore"/>),
/// dead letters and in-process leases (an epoch per name, counted up on every acquisition; a unit of work
/// fenced on a lease commits only while it is held and its epoch current). Read models in memory cannot be rolled back, so handlers must be
/// idempotent (e.g. skip events at or below the version they already applied); delivery is at least once.
/// </summary>
public sealed class InMemoryProjectionStore : IProjectionStore
{
    private readonly InMemoryEventStore _events;
    private readonly InMemoryCheckpointStore _checkpoints;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Lease?> _leases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _epochs = new(StringComparer.Ordinal);
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
    public ValueTask<ProjectionLease?> TryAcquireLeaseAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_commit)
        {
            if (_leases.GetValueOrDefault(projectionName) is not null)
            {
                return ValueTask.FromResult<ProjectionLease?>(null);
            }

            var epoch = _epochs.GetValueOrDefault(projectionName) + 1;
            _epochs[projectionName] = epoch;
            var lease = new Lease(this, projectionName, epoch);
            _leases[projectionName] = lease;
            return ValueTask.FromResult<ProjectionLease?>(lease);
        }
    }

    /// <summary>True when the lease is the name's current holder; call under the commit lock.</summary>
    private bool Holds(ProjectionLease lease) => ReferenceEquals(_leases.GetValueOrDefault(lease.Name), lease);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(string projectionName, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<DeadLetter>>(_deadLetters.Where(d => d.ProjectionName == projectionName).ToList());

    /// <inheritdoc />
    public ValueTask<long> CountEventsAsync(IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_events.CountEvents(eventTypes));

    private sealed class Lease(InMemoryProjectionStore store, string name, long epoch) : ProjectionLease(name, epoch)
    {
        protected override ValueTask ReleaseAsync()
        {
            lock (store._commit)
            {
                if (store.Holds(this))
                {
                    store._leases[Name] = null;
                }
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class Transaction(InMemoryProjectionStore store, ProjectionContext context) : ProjectionTransaction
    {
        private readonly List<(string Name, GlobalPosition? Expected, GlobalPosition Position)> _moves = [];
        private readonly List<DeadLetter> _letters = [];
        private readonly List<ProjectionLease> _fences = [];

        public override ProjectionContext Context => context;

        public override ValueTask<GlobalPosition?> LoadCheckpointAsync(string name, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(store._checkpoints.Get(name));

        public override ValueTask SaveCheckpointAsync(string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken = default)
        {
            _moves.Add((name, expected, position));
            return ValueTask.CompletedTask;
        }

        public override ValueTask FenceAsync(ProjectionLease lease, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(lease);
            if (lease is not Lease)
            {
                throw new ArgumentException("The lease was not acquired from an in-memory projection store.", nameof(lease));
            }

            _fences.Add(lease);
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
                foreach (var lease in _fences)
                {
                    if (!store.Holds(lease))
                    {
                        throw new LeaseLostException(lease.Name, lease.Epoch);
                    }
                }

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
            _fences.Clear();
            return ValueTask.CompletedTask;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
