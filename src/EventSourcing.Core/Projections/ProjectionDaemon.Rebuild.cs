using System.Diagnostics;
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
    /// <exception cref="InvalidOperationException">The projection cannot be rebuilt.</exception>
    /// <exception cref="ProjectionFailedException">A handler failed on the rebuild and the failure policy is Stop.</exception>
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
        var total = await _projectionStore.CountEventsAsync(runner.Projection.EventTypes, cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        LogRebuildStarted(_logger, projectionName, total);

        // 1. An empty shadow, and a shadow checkpoint at the start of the log.
        var position = GlobalPosition.Start;
        var tx = await _projectionStore.BeginAsync(projectionName, isRebuild: true, cancellationToken).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            await rebuildable.PrepareShadowAsync(tx.Context, cancellationToken).ConfigureAwait(false);
            var previous = await tx.LoadCheckpointAsync(shadowCheckpoint, cancellationToken).ConfigureAwait(false);
            await tx.SaveCheckpointAsync(shadowCheckpoint, previous, GlobalPosition.Start, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        // 2. Catch the shadow up while everything else goes on: passes up to the head seen at their
        //    start, until a pass is short (or a few passes, so sustained writes cannot keep it here).
        Report(progress, projectionName, 0, total, clock.Elapsed);
        long done = 0;
        for (var pass = 0; pass < 5; pass++)
        {
            var head = await _store.GetHeadPositionAsync(cancellationToken).ConfigureAwait(false);
            var (reached, count) = await CatchUpToAsync(runner, shadowCheckpoint, position, head, count => Report(progress, projectionName, done + count, total, clock.Elapsed), cancellationToken).ConfigureAwait(false);
            position = reached;
            done += count;
            if (count < _options.BatchSize)
            {
                break;
            }
        }

        // 3. Swap, with the live runner paused so no batch interleaves: the events up to the head seen
        //    now, the swap and the live checkpoint commit together, fenced on where the live checkpoint
        //    was. The live runner goes on from there after the swap.
        await runner.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var head = await _store.GetHeadPositionAsync(cancellationToken).ConfigureAwait(false);
            var (reached, count) = await CatchUpToAsync(runner, shadowCheckpoint, position, head, _ => { }, cancellationToken).ConfigureAwait(false);
            position = reached;
            done += count;

            var swap = await _projectionStore.BeginAsync(projectionName, isRebuild: true, cancellationToken).ConfigureAwait(false);
            await using (swap.ConfigureAwait(false))
            {
                var live = await swap.LoadCheckpointAsync(projectionName, cancellationToken).ConfigureAwait(false);
                await rebuildable.SwapAsync(swap.Context, cancellationToken).ConfigureAwait(false);
                await swap.SaveCheckpointAsync(projectionName, live, position, cancellationToken).ConfigureAwait(false);
                await swap.CommitAsync(cancellationToken).ConfigureAwait(false);
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
    /// </summary>
    private async Task<(GlobalPosition Reached, long Count)> CatchUpToAsync(Runner runner, string checkpointName, GlobalPosition from, GlobalPosition head, Action<long> onBatch, CancellationToken cancellationToken)
    {
        var position = from;
        long count = 0;
        while (position < head)
        {
            var batch = await ReadBatchAsync(runner, position, cancellationToken).ConfigureAwait(false);
            var beyond = batch.FindIndex(e => e.Position > head);
            if (beyond >= 0)
            {
                batch.RemoveRange(beyond, batch.Count - beyond);
            }

            var last = beyond >= 0 || batch.Count < _options.BatchSize;
            position = await ProcessBatchAsync(runner, checkpointName, position, batch, last ? head : null, isRebuild: true, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("A rebuild batch cannot stop without an exception.");
            count += batch.Count;
            onBatch(count);
            if (last)
            {
                break;
            }
        }

        return (position, count);
    }

    private void Report(IProgress<RebuildProgress>? progress, string name, long done, long total, TimeSpan elapsed)
    {
        var rate = elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;
        TimeSpan? eta = rate > 0 && total >= done ? TimeSpan.FromSeconds((total - done) / rate) : null;
        progress?.Report(new RebuildProgress(name, done, total, rate, eta));
        LogRebuildProgress(_logger, name, done, total, rate, eta?.TotalSeconds ?? double.NaN);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuild of projection {Projection} started; {Total} events in the log.")]
    private static partial void LogRebuildStarted(ILogger logger, string projection, long total);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuild of projection {Projection}: {Done}/{Total} events, {Rate:F0} events/s, ETA {Eta:F1} s.")]
    private static partial void LogRebuildProgress(ILogger logger, string projection, long done, long total, double rate, double eta);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuild of projection {Projection} done: {Done} events in {Seconds:F1} s; the rebuilt read model is live.")]
    private static partial void LogRebuildDone(ILogger logger, string projection, long done, double seconds);
}
