using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace EventSourcing.Projections;

public sealed partial class ProjectionDaemon
{
    /// <summary>
    /// Rebuilds a projection from the start of the log while appends and the live projection go on:
    /// the events are projected into a shadow read model; once it has caught up, the shadow is swapped
    /// in and the live checkpoint moved to where the shadow is, in one unit of work.
    /// </summary>
    /// <param name="projectionName">An async projection that implements <see cref="IRebuildableProjection"/>.</param>
    /// <param name="progress">Receives progress after each batch (events of its types done, events/s, ETA).</param>
    /// <param name="cancellationToken">Cancels the rebuild; the live read model is untouched until the swap.</param>
    /// <returns>The number of events of the projection's types read.</returns>
    /// <remarks>
    /// A rebuild holds the lease <c>&lt;projection&gt;:rebuild</c> and fences every commit on it, so two
    /// rebuilds of one projection never interleave, on this node or across nodes.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The projection cannot be rebuilt, or another rebuild of it is running (on any node).</exception>
    /// <exception cref="ProjectionFailedException">A handler failed on the rebuild and the failure policy is Stop.</exception>
    /// <exception cref="LeaseLostException">The rebuild's lease was lost (another instance took it over); the live read model is untouched.</exception>
    public async Task<long> RebuildAsync(string projectionName, IProgress<RebuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var activity = CoreInstruments.Source.StartActivity(RebuildActivity);
        activity?.SetTag(ProjectionTag, projectionName);
        try
        {
            var done = await RebuildCoreAsync(projectionName, progress, cancellationToken).ConfigureAwait(false);
            activity?.SetTag(StoreInstruments.Tags.EventCount, done);
            return done;
        }
        catch (Exception ex)
        {
            if (activity is not null)
            {
                activity.SetTag(StoreInstruments.Tags.ErrorType, ex.GetType().FullName);
                activity.SetStatus(ActivityStatusCode.Error, ex.Message);
            }

            throw;
        }
    }

    private async Task<long> RebuildCoreAsync(string projectionName, IProgress<RebuildProgress>? progress, CancellationToken cancellationToken)
    {
        var runner = RunnerFor(projectionName);
        if (runner.Projection is not IRebuildableProjection rebuildable)
        {
            throw new InvalidOperationException($"Projection '{projectionName}' does not implement {nameof(IRebuildableProjection)}, so it cannot be rebuilt without downtime.");
        }

        var shadowCheckpoint = projectionName + ":rebuild";
        var lease = await _projectionStore.TryAcquireLeaseAsync(shadowCheckpoint, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"A rebuild of projection '{projectionName}' is already running (another holder has the lease '{shadowCheckpoint}').");
        await using (lease.ConfigureAwait(false))
        {
            using var held = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
            try
            {
                return await RebuildUnderLeaseAsync(runner, rebuildable, lease, progress, held.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (lease.IsLost && !cancellationToken.IsCancellationRequested)
            {
                throw new LeaseLostException(lease.Name, lease.Epoch);
            }
        }
    }

    private async Task<long> RebuildUnderLeaseAsync(Runner runner, IRebuildableProjection rebuildable, ProjectionLease lease, IProgress<RebuildProgress>? progress, CancellationToken cancellationToken)
    {
        // The count (a full scan of the log on some backends: as long as reading a tenth of it) only
        // feeds progress and the log lines: it runs beside the rebuild, which waits for it only at its
        // first report, after its first batch; with no progress and no log to feed, not at all.
        if (progress is null && !_logger.IsEnabled(LogLevel.Information) && !_logger.IsEnabled(LogLevel.Debug))
        {
            return await RebuildAndSwapAsync(runner, rebuildable, lease, counting: null, progress, cancellationToken).ConfigureAwait(false);
        }

        using var stopCounting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var counting = CountForRebuildAsync(runner, stopCounting.Token);
        try
        {
            return await RebuildAndSwapAsync(runner, rebuildable, lease, counting, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // On a failure before the count was needed: stop it and let it end (its outcome no longer matters).
            await stopCounting.CancelAsync().ConfigureAwait(false);
            await ((Task)counting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<long> CountForRebuildAsync(Runner runner, CancellationToken cancellationToken)
    {
        await Task.Yield(); // the rebuild goes on while the store counts
        return await _projectionStore.CountEventsAsync(runner.Projection.EventTypes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The rebuild proper; <paramref name="counting"/> is null when no report or log line would show the total (0 stands in for it).</summary>
    private async Task<long> RebuildAndSwapAsync(Runner runner, IRebuildableProjection rebuildable, ProjectionLease lease, Task<long>? counting, IProgress<RebuildProgress>? progress, CancellationToken cancellationToken)
    {
        var projectionName = runner.Projection.Name;
        var shadowCheckpoint = lease.Name;
        var clock = Stopwatch.StartNew();
        long? counted = null;

        // The start line and the first report (0 done) once the count is in, before any other report.
        async ValueTask<long> TotalAsync()
        {
            if (counting is null)
            {
                return 0;
            }

            if (counted is null)
            {
                counted = await counting.WaitAsync(cancellationToken).ConfigureAwait(false);
                LogRebuildStarted(_logger, projectionName, counted.Value, lease.Epoch);
                Report(progress, projectionName, 0, counted.Value, clock.Elapsed);
            }

            return counted.Value;
        }

        // 1. An empty shadow, and a shadow checkpoint at the start of the log.
        var position = GlobalPosition.Start;
        var tx = await _projectionStore.BeginAsync(projectionName, isRebuild: true, cancellationToken).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            await rebuildable.PrepareShadowAsync(tx.Context, cancellationToken).ConfigureAwait(false);
            var previous = await tx.LoadCheckpointAsync(shadowCheckpoint, cancellationToken).ConfigureAwait(false);
            await CommitFencedAsync(tx, lease, shadowCheckpoint, previous, GlobalPosition.Start, cancellationToken).ConfigureAwait(false);
        }

        // 2. Catch the shadow up while everything else goes on: passes up to the head seen at their
        //    start, until a pass is short (or a few passes, so sustained writes cannot keep it here).
        long done = 0;
        for (var pass = 0; pass < 5; pass++)
        {
            var head = await _store.GetHeadPositionAsync(cancellationToken).ConfigureAwait(false);
            var (reached, count) = await CatchUpToAsync(runner, lease, position, head, async count => Report(progress, projectionName, done + count, await TotalAsync().ConfigureAwait(false), clock.Elapsed), cancellationToken).ConfigureAwait(false);
            position = reached;
            done += count;
            if (count < runner.Settings.BatchSize)
            {
                break;
            }
        }

        var total = await TotalAsync().ConfigureAwait(false);

        // 3. Swap, with the live runner paused so no batch interleaves: the events up to the head seen
        //    now, the swap and the live checkpoint commit together, fenced on where the live checkpoint
        //    was and on the rebuild's lease. The live runner goes on from there after the swap (one on
        //    another node finds its checkpoint moved and reloads it).
        await runner.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var head = await _store.GetHeadPositionAsync(cancellationToken).ConfigureAwait(false);
            var (reached, count) = await CatchUpToAsync(runner, lease, position, head, _ => ValueTask.CompletedTask, cancellationToken).ConfigureAwait(false);
            position = reached;
            done += count;

            var swap = await _projectionStore.BeginAsync(projectionName, isRebuild: true, cancellationToken).ConfigureAwait(false);
            await using (swap.ConfigureAwait(false))
            {
                var live = await swap.LoadCheckpointAsync(projectionName, cancellationToken).ConfigureAwait(false);
                await rebuildable.SwapAsync(swap.Context, cancellationToken).ConfigureAwait(false);
                await CommitFencedAsync(swap, lease, projectionName, live, position, cancellationToken).ConfigureAwait(false);
            }

            runner.Update(s => s with { Checkpoint = position });
        }
        finally
        {
            runner.Gate.Release();
        }

        Report(progress, projectionName, done, Math.Max(total, done), clock.Elapsed);
        LogRebuildDone(_logger, projectionName, done, clock.Elapsed.TotalSeconds);
        return done;
    }

    /// <summary>
    /// Projects the events of the projection's types after <paramref name="from"/> up to <paramref name="head"/>
    /// into the shadow, leaving the shadow checkpoint at the head; returns where it ended and how many events it handled.
    /// One read of the log runs ahead of the batches (<see cref="ReadBatchesAsync"/>): the next batch is
    /// read while the current one is projected and committed, and the read is no part of any unit of
    /// work, whose transaction holds only the batch's writes.
    /// </summary>
    private async Task<(GlobalPosition Reached, long Count)> CatchUpToAsync(Runner runner, ProjectionLease lease, GlobalPosition from, GlobalPosition head, Func<long, ValueTask> onBatch, CancellationToken cancellationToken)
    {
        var position = from;
        long count = 0;
        if (position >= head)
        {
            return (position, count);
        }

        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var batches = Channel.CreateBounded<(List<EventEnvelope> Batch, bool Last)>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        var reader = ReadBatchesAsync(runner, from, head, batches.Writer, reading.Token);
        try
        {
            await foreach (var (batch, last) in batches.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                position = await ProcessBatchAsync(runner, lease.Name, position, batch, last ? head : null, lease, isRebuild: true, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("A rebuild batch cannot stop without an exception.");
                count += batch.Count;
                await onBatch(count).ConfigureAwait(false);
            }

            await reader.ConfigureAwait(false); // a failed read ends the batches early: its exception
        }
        finally
        {
            // On a failure, stop the read ahead and let it end (its outcome no longer matters).
            await reading.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return (position, count);
    }

    /// <summary>
    /// Reads the projection's events after <paramref name="after"/> up to <paramref name="head"/> in one
    /// read of the log (so the store pages it as it reads best), cut into batches; the last one (maybe
    /// empty) is flagged. Completes the channel either way; a failed read fails the task.
    /// </summary>
    private async Task ReadBatchesAsync(Runner runner, GlobalPosition after, GlobalPosition head, ChannelWriter<(List<EventEnvelope> Batch, bool Last)> writer, CancellationToken cancellationToken)
    {
        try
        {
            var size = runner.Settings.BatchSize;
            var batch = new List<EventEnvelope>(Math.Min(size, 1024));
            await foreach (var e in _store.ReadAllAsync(after, long.MaxValue, runner.Projection.EventTypes, cancellationToken).ConfigureAwait(false))
            {
                if (e.Position > head)
                {
                    break;
                }

                if (batch.Count == size)
                {
                    await writer.WriteAsync((batch, false), cancellationToken).ConfigureAwait(false);
                    batch = new List<EventEnvelope>(Math.Min(size, 1024));
                }

                batch.Add(e);
            }

            await writer.WriteAsync((batch, true), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private void Report(IProgress<RebuildProgress>? progress, string name, long done, long total, TimeSpan elapsed)
    {
        var rate = elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;
        TimeSpan? eta = rate > 0 && total >= done ? TimeSpan.FromSeconds((total - done) / rate) : null;
        progress?.Report(new RebuildProgress(name, done, total, rate, eta));
        LogRebuildProgress(_logger, name, done, total, rate, eta?.TotalSeconds ?? double.NaN);
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Rebuild of projection {Projection} started (lease epoch {Epoch}); {Total} events in the log.")]
    private static partial void LogRebuildStarted(ILogger logger, string projection, long total, long epoch);

    [LoggerMessage(EventId = 21, Level = LogLevel.Debug, Message = "Rebuild of projection {Projection}: {Done}/{Total} events, {Rate:F0} events/s, ETA {Eta:F1} s.")]
    private static partial void LogRebuildProgress(ILogger logger, string projection, long done, long total, double rate, double eta);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Rebuild of projection {Projection} done: {Done} events in {Seconds:F1} s; the rebuilt read model is live.")]
    private static partial void LogRebuildDone(ILogger logger, string projection, long done, double seconds);
}
