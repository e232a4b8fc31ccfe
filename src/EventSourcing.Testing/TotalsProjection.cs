using System.Collections.Concurrent;
using EventSourcing.Projections;

namespace EventSourcing.Testing;

/// <summary>
/// The suite's read model: per-stream totals of <see cref="Incremented"/>, in memory, idempotent by
/// stream version (so redelivery changes nothing), rebuildable through a shadow copy.
/// </summary>
public sealed class TotalsProjection(string name) : IRebuildableProjection
{
    private volatile ConcurrentDictionary<StreamId, (long Version, long Total)> _live = new();
    private ConcurrentDictionary<StreamId, (long Version, long Total)> _shadow = new();
    private int _running;

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public IReadOnlyCollection<string> EventTypes { get; } = ["incremented"];

    /// <summary>Fails on events whose amount is this value (a poison event), when set.</summary>
    public int? PoisonAmount { get; set; }

    /// <summary>Called before each event is applied; tests use it to block or observe.</summary>
    public Func<EventEnvelope, CancellationToken, Task>? BeforeApply { get; set; }

    /// <summary>The largest number of handlers seen running at once.</summary>
    public int MaxConcurrency { get; private set; }

    /// <summary>Events applied (not skipped as already applied).</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Events delivered again after being applied (skipped).</summary>
    public long Redelivered => Interlocked.Read(ref _redelivered);

    private long _applied;
    private long _redelivered;

    /// <summary>Every global position handled, in handling order (live model only).</summary>
    public ConcurrentQueue<GlobalPosition> Positions { get; } = new();

    /// <summary>The live read model's total for a stream.</summary>
    public long TotalOf(StreamId stream) => _live.TryGetValue(stream, out var row) ? row.Total : 0;

    /// <summary>The live read model's version for a stream.</summary>
    public long VersionOf(StreamId stream) => _live.TryGetValue(stream, out var row) ? row.Version : 0;

    /// <inheritdoc />
    public async ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        var running = Interlocked.Increment(ref _running);
        try
        {
            MaxConcurrency = Math.Max(MaxConcurrency, running);
            if (BeforeApply is { } hook)
            {
                await hook(envelope, cancellationToken);
            }

            var e = (Incremented)envelope.Event;
            if (e.By == PoisonAmount)
            {
                throw new InvalidOperationException($"Poison amount {e.By}.");
            }

            var model = context.IsRebuild ? _shadow : _live;
            var row = model.GetValueOrDefault(envelope.StreamId);
            if (envelope.StreamVersion <= row.Version)
            {
                Interlocked.Increment(ref _redelivered);
                return;
            }

            model[envelope.StreamId] = (envelope.StreamVersion, row.Total + e.By);
            if (!context.IsRebuild)
            {
                Positions.Enqueue(envelope.Position);
                Interlocked.Increment(ref _applied);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    /// <inheritdoc />
    public ValueTask PrepareShadowAsync(ProjectionContext context, CancellationToken cancellationToken = default)
    {
        _shadow = new ConcurrentDictionary<StreamId, (long Version, long Total)>();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask SwapAsync(ProjectionContext context, CancellationToken cancellationToken = default)
    {
        _live = _shadow;
        return ValueTask.CompletedTask;
    }
}

/// <summary>The same read model applied a batch at a time, counting the batches it was given.</summary>
public sealed class BatchTotalsProjection(string name) : IBatchProjection
{
    private readonly TotalsProjection _inner = new(name);

    /// <inheritdoc />
    public string Name => _inner.Name;

    /// <inheritdoc />
    public IReadOnlyCollection<string> EventTypes => _inner.EventTypes;

    /// <summary>Batches received through <see cref="ProjectBatchAsync"/>.</summary>
    public int Batches { get; private set; }

    /// <summary>Events received one at a time (the fallback after a failed batch).</summary>
    public int Singles { get; private set; }

    /// <summary>The wrapped per-event read model.</summary>
    public TotalsProjection Model => _inner;

    /// <inheritdoc />
    public async ValueTask ProjectBatchAsync(IReadOnlyList<EventEnvelope> batch, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        Batches++;
        foreach (var e in batch)
        {
            await _inner.ProjectAsync(e, context, cancellationToken);
        }
    }

    /// <inheritdoc />
    public ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
    {
        Singles++;
        return _inner.ProjectAsync(envelope, context, cancellationToken);
    }
}
