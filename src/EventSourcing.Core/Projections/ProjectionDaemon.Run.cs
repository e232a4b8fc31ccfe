using System.Diagnostics;
using EventSourcing.Storage;
using Microsoft.Extensions.Logging;

namespace EventSourcing.Projections;

public sealed partial class ProjectionDaemon
{
    /// <summary>Without a commit notifier the daemon only polls.</summary>
    private static readonly Task NeverSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously).Task;
    private async Task RunAsync(Runner runner, CancellationToken stopping)
    {
        // A background loop: its batches start their own traces (linked to the appends'), not children of whoever started the daemon.
        Activity.Current = null;
        var name = runner.Projection.Name;
        var standing = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var lease = await _projectionStore.TryAcquireLeaseAsync(name, stopping).ConfigureAwait(false);
                if (lease is null)
                {
                    if (!standing)
                    {
                        LogStandingBy(_logger, name);
                        standing = true;
                    }

                    await ObserveAsync(runner, stopping).ConfigureAwait(false);
                    await Task.Delay(_options.PollInterval, _time, stopping).ConfigureAwait(false);
                    continue;
                }

                standing = false;
                await using (lease.ConfigureAwait(false))
                {
                    LogLeaseAcquired(_logger, name, lease.Epoch);
                    using var held = CancellationTokenSource.CreateLinkedTokenSource(stopping, lease.Lost);
                    try
                    {
                        await FollowAsync(runner, lease, held.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (lease.IsLost && !stopping.IsCancellationRequested)
                    {
                        throw new LeaseLostException(lease.Name, lease.Epoch);
                    }
                }

                if (runner.Status.State == ProjectionState.Faulted)
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (LeaseLostException ex)
            {
                // Another instance took the lease (or it could not be renewed): nothing more was committed
                // under it; try to acquire it again (or stand by).
                LogLeaseLost(_logger, name, ex.Epoch);
            }
            catch (CheckpointConflictException ex)
            {
                // Another instance (or a rebuild) moved the checkpoint: reload it and go on.
                LogCheckpointMoved(_logger, name, ex.Message);
            }
            catch (Exception ex)
            {
                // The store failed (e.g. the database restarted): back off and resume from the checkpoint.
                LogStoreError(_logger, ex, name);
                try
                {
                    await Task.Delay(_options.StoreErrorBackoff, _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>A node in <see cref="ProjectionDaemonMode.Standby"/>: follows the checkpoint in the store, never runs the projection.</summary>
    private async Task FollowStoreAsync(Runner runner, CancellationToken stopping)
    {
        LogStandingBy(_logger, runner.Projection.Name);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await ObserveAsync(runner, stopping).ConfigureAwait(false);
                await Task.Delay(_options.PollInterval, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogStoreError(_logger, ex, runner.Projection.Name);
                try
                {
                    await Task.Delay(_options.StoreErrorBackoff, _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Another node runs the projection: its status here follows the checkpoint in the store.</summary>
    private async Task ObserveAsync(Runner runner, CancellationToken stopping)
    {
        var checkpoint = await LoadCheckpointAsync(runner.Projection.Name, stopping).ConfigureAwait(false);
        runner.Update(s => s with { State = ProjectionState.Standby, Checkpoint = checkpoint ?? s.Checkpoint });
    }

    private async Task FollowAsync(Runner runner, ProjectionLease lease, CancellationToken stopping)
    {
        var name = runner.Projection.Name;
        var checkpoint = await LoadCheckpointAsync(name, stopping).ConfigureAwait(false);
        runner.Update(s => s with { State = ProjectionState.CatchingUp, Checkpoint = checkpoint });
        var nearHead = true;
        while (true)
        {
            stopping.ThrowIfCancellationRequested();
            var wake = _notifier?.NextSignal() ?? NeverSignal;

            // The head is read first: a filtered read that starts after it and comes back short has seen
            // every event of the projection's types up to it, so the checkpoint may move past the events
            // of other types too (or readers would scan them again on every poll, and waits would hang).
            // While catching up (the last batch was full) the head goes unused, so it is not read.
            GlobalPosition? head = nearHead ? await _store.GetHeadPositionAsync(stopping).ConfigureAwait(false) : null;
            var from = checkpoint ?? GlobalPosition.Start;
            var batch = await ReadBatchAsync(runner, from, stopping).ConfigureAwait(false);
            var complete = batch.Count < runner.Settings.BatchSize;
            runner.LastRead = batch;
            nearHead = complete;
            GlobalPosition? end = complete && head is { } h && h > (batch.Count > 0 ? batch[^1].Position : from) ? h : null;
            if (batch.Count == 0 && head is null)
            {
                continue; // caught up without knowing the head: read it before waiting
            }

            if (batch.Count == 0 && end is null)
            {
                runner.Update(s => s with { State = ProjectionState.Live });
                await CommitNotifier.WaitAsync(wake, _options.PollInterval, _time, stopping).ConfigureAwait(false);
                continue;
            }

            await runner.Gate.WaitAsync(stopping).ConfigureAwait(false);
            try
            {
                var moved = await ProcessBatchAsync(runner, name, checkpoint, batch, end, lease, isRebuild: false, stopping).ConfigureAwait(false);
                if (moved is null)
                {
                    return;
                }

                checkpoint = moved;
            }
            finally
            {
                runner.Gate.Release();
            }

            if (complete)
            {
                runner.Update(s => s with { State = ProjectionState.Live });
            }
        }
    }

    /// <summary>The projection's next events: the store filters by type before deserializing.</summary>
    private async Task<List<EventEnvelope>> ReadBatchAsync(Runner runner, GlobalPosition after, CancellationToken cancellationToken)
    {
        var size = runner.Settings.BatchSize;
        var batch = new List<EventEnvelope>(Math.Min(size, 1024));
        await foreach (var e in _store.ReadAllAsync(after, size, runner.Projection.EventTypes, cancellationToken).ConfigureAwait(false))
        {
            batch.Add(e);
        }

        return batch;
    }

    /// <summary>
    /// Projects a batch in one unit of work with the checkpoint. When a handler fails, the unit is
    /// rolled back, the events before the failing one are committed on their own, and the failing
    /// event is retried alone, then stopped on or dead-lettered. Returns the new checkpoint, or null
    /// when the projection stopped.
    /// </summary>
    private async Task<GlobalPosition?> ProcessBatchAsync(Runner runner, string checkpointName, GlobalPosition? expected, List<EventEnvelope> batch, GlobalPosition? end, ProjectionLease lease, bool isRebuild, CancellationToken cancellationToken)
    {
        using var activity = StartBatch(runner, batch, isRebuild);
        try
        {
            var reached = await ProcessBatchCoreAsync(runner, checkpointName, expected, batch, end, lease, isRebuild, cancellationToken).ConfigureAwait(false);
            activity?.SetTag(StoreInstruments.Tags.Outcome, reached is null ? "stopped" : "projected");
            return reached;
        }
        catch (Exception ex)
        {
            if (activity is not null)
            {
                activity.SetTag(StoreInstruments.Tags.Outcome, "error");
                activity.SetTag(StoreInstruments.Tags.ErrorType, ex.GetType().FullName);
                activity.SetStatus(ActivityStatusCode.Error, ex.Message);
            }

            throw;
        }
    }

    private async Task<GlobalPosition?> ProcessBatchCoreAsync(Runner runner, string checkpointName, GlobalPosition? expected, List<EventEnvelope> batch, GlobalPosition? end, ProjectionLease lease, bool isRebuild, CancellationToken cancellationToken)
    {
        var start = 0;
        while (start < batch.Count || (start == 0 && end is not null))
        {
            var (failedAt, error) = await TryCommitAsync(runner, checkpointName, expected, batch, start, batch.Count, end, lease, isRebuild, cancellationToken, asBatch: runner.Projection is IBatchProjection).ConfigureAwait(false);
            if (failedAt >= 0 && runner.Projection is IBatchProjection)
            {
                // The batch failed as a whole: apply it event by event to find the failing one.
                (failedAt, error) = await TryCommitAsync(runner, checkpointName, expected, batch, start, batch.Count, end, lease, isRebuild, cancellationToken).ConfigureAwait(false);
            }

            if (failedAt < 0)
            {
                return end ?? batch[^1].Position;
            }

            // Commit the events before the failing one on their own; if one of them fails now, that
            // one becomes the failing event and the prefix before it is tried again.
            while (failedAt > start)
            {
                var (prefixFailedAt, prefixError) = await TryCommitAsync(runner, checkpointName, expected, batch, start, failedAt, end: null, lease, isRebuild, cancellationToken).ConfigureAwait(false);
                if (prefixFailedAt < 0)
                {
                    expected = batch[failedAt - 1].Position;
                    break;
                }

                (failedAt, error) = (prefixFailedAt, prefixError);
            }

            var handled = await RetryAsync(runner, checkpointName, expected, batch[failedAt], error!, lease, isRebuild, cancellationToken).ConfigureAwait(false);
            if (!handled)
            {
                return null;
            }

            expected = batch[failedAt].Position;
            start = failedAt + 1;
        }

        return expected;
    }

    /// <summary>
    /// Projects batch[from..to) and moves the checkpoint, in one unit of work, to the last event's
    /// position, or to <paramref name="end"/> when the batch runs to its end and one is given. Returns
    /// the index that failed, or -1.
    /// </summary>
    private async Task<(int FailedAt, Exception? Error)> TryCommitAsync(Runner runner, string checkpointName, GlobalPosition? expected, List<EventEnvelope> batch, int from, int to, GlobalPosition? end, ProjectionLease lease, bool isRebuild, CancellationToken cancellationToken, bool asBatch = false)
    {
        var tx = await _projectionStore.BeginAsync(runner.Projection.Name, isRebuild, cancellationToken).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            long handled = 0;
            DateTimeOffset? last = null;
            if (asBatch)
            {
                var events = HandledOf(runner, batch, from, to);
                if (events.Count > 0)
                {
                    try
                    {
                        await ((IBatchProjection)runner.Projection).ProjectBatchAsync(events, tx.Context, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
                    {
                        return (from, ex);
                    }

                    handled = events.Count;
                    last = events[^1].Timestamp;
                }

                from = to;
            }

            for (var i = from; i < to; i++)
            {
                var e = batch[i];
                if (!runner.Handles(e))
                {
                    continue;
                }

                try
                {
                    await runner.Projection.ProjectAsync(e, tx.Context, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    return (i, ex);
                }

                handled++;
                last = e.Timestamp;
            }

            var position = to == batch.Count && end is { } caughtUp ? caughtUp : batch[to - 1].Position;
            await CommitFencedAsync(tx, lease, checkpointName, expected, position, cancellationToken).ConfigureAwait(false);
            if (!isRebuild)
            {
                runner.Update(s => s with { Checkpoint = position, EventsProjected = s.EventsProjected + handled, LastEventTimestamp = last ?? s.LastEventTimestamp });
            }

            if (_logger.IsEnabled(LogLevel.Debug))
            {
                LogBatchCommitted(_logger, runner.Projection.Name, handled, to - from, position.ToString(), isRebuild);
            }

            return (-1, null);
        }
    }

    /// <summary>
    /// The events of batch[from..to) the projection handles: the batch itself when that is all of it (a
    /// store filters its reads by the projection's types, so it usually is); consecutive events of one
    /// type name (the same string, as a read hands them out) are checked once.
    /// </summary>
    private static IReadOnlyList<EventEnvelope> HandledOf(Runner runner, List<EventEnvelope> batch, int from, int to)
    {
        List<EventEnvelope>? some = null;
        string? handled = null;
        for (var i = from; i < to; i++)
        {
            var e = batch[i];
            if (ReferenceEquals(e.EventType, handled) || runner.Handles(e))
            {
                handled = e.EventType;
                some?.Add(e);
            }
            else
            {
                some ??= batch.GetRange(from, i - from);
            }
        }

        return some ?? (from == 0 && to == batch.Count ? batch : batch.GetRange(from, to - from));
    }

    /// <summary>
    /// The unit of work's last steps: stop if the lease was lost meanwhile, fence on its epoch (so a
    /// takeover after this check still fails the commit), move the checkpoint, commit.
    /// </summary>
    private static async Task CommitFencedAsync(ProjectionTransaction tx, ProjectionLease lease, string checkpointName, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken)
    {
        if (lease.IsLost)
        {
            throw new LeaseLostException(lease.Name, lease.Epoch);
        }

        await tx.FenceAsync(lease, cancellationToken).ConfigureAwait(false);
        await tx.SaveCheckpointAsync(checkpointName, expected, position, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> RetryAsync(Runner runner, string checkpointName, GlobalPosition? expected, EventEnvelope envelope, Exception error, ProjectionLease lease, bool isRebuild, CancellationToken cancellationToken)
    {
        var name = runner.Projection.Name;
        var settings = runner.Settings;
        var single = new List<EventEnvelope>(1) { envelope };
        for (var attempt = 1; attempt <= settings.MaxRetries; attempt++)
        {
            var delay = settings.Backoff(attempt, Random.Shared.NextDouble());
            LogHandlerRetry(_logger, error, name, envelope.EventId, envelope.Position.ToString(), attempt, settings.MaxRetries, delay.TotalMilliseconds);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            var (failedAt, again) = await TryCommitAsync(runner, checkpointName, expected, single, 0, 1, end: null, lease, isRebuild, cancellationToken).ConfigureAwait(false);
            if (failedAt < 0)
            {
                return true;
            }

            error = again!;
        }

        // A failure might be the store itself going away mid-handler: probe it, and let a store error
        // take the back-off-and-resume path rather than stopping or dead-lettering a good event.
        // The probe runs a statement: a backend may not reach the server until it does.
        var probe = await _projectionStore.BeginAsync(name, isRebuild, cancellationToken).ConfigureAwait(false);
        await using (probe.ConfigureAwait(false))
        {
            await probe.LoadCheckpointAsync(checkpointName, cancellationToken).ConfigureAwait(false);
        }

        if (settings.OnFailure == ProjectionFailurePolicy.DeadLetter)
        {
            var tx = await _projectionStore.BeginAsync(name, isRebuild, cancellationToken).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                await tx.DeadLetterAsync(envelope, error, cancellationToken).ConfigureAwait(false);
                await CommitFencedAsync(tx, lease, checkpointName, expected, envelope.Position, cancellationToken).ConfigureAwait(false);
            }

            LogDeadLettered(_logger, error, name, envelope.EventId, envelope.Position.ToString());
            if (!isRebuild)
            {
                runner.Update(s => s with { Checkpoint = envelope.Position });
            }

            return true;
        }

        var failure = new ProjectionFailedException(name, envelope.EventId, envelope.Position, error);
        LogStopped(_logger, failure, name, envelope.EventId, envelope.Position.ToString());
        if (isRebuild)
        {
            throw failure;
        }

        runner.Update(s => s with { State = ProjectionState.Faulted, Error = failure });
        return false;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Projection daemon started in {Mode} mode with {Count} async projection(s): {Projections}.")]
    private static partial void LogStarted(ILogger logger, ProjectionDaemonMode mode, int count, string projections);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Projection daemon stopped.")]
    private static partial void LogStoppedDaemon(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Projection {Projection}: lease acquired (epoch {Epoch}); this node runs it.")]
    private static partial void LogLeaseAcquired(ILogger logger, string projection, long epoch);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Projection {Projection}: standing by; another node runs it (or this node never does), and its status follows the checkpoint in the store.")]
    private static partial void LogStandingBy(ILogger logger, string projection);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Projection {Projection}: lease (epoch {Epoch}) lost; stopped before committing again, trying to acquire it again.")]
    private static partial void LogLeaseLost(ILogger logger, string projection, long epoch);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Projection {Projection}: checkpoint moved elsewhere ({Reason}); reloading.")]
    private static partial void LogCheckpointMoved(ILogger logger, string projection, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Projection {Projection}: the store failed; resuming from the checkpoint after a back-off.")]
    private static partial void LogStoreError(ILogger logger, Exception exception, string projection);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Projection {Projection} failed on event {EventId} at {Position}; retry {Attempt} of {MaxRetries} in {DelayMs:F0} ms.")]
    private static partial void LogHandlerRetry(ILogger logger, Exception exception, string projection, Guid eventId, string position, int attempt, int maxRetries, double delayMs);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "Projection {Projection} dead-lettered event {EventId} at {Position} and continued.")]
    private static partial void LogDeadLettered(ILogger logger, Exception exception, string projection, Guid eventId, string position);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Projection {Projection} stopped on event {EventId} at {Position}; RestartAsync starts it again.")]
    private static partial void LogStopped(ILogger logger, Exception exception, string projection, Guid eventId, string position);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Projection {Projection}: restarted.")]
    private static partial void LogRestarted(ILogger logger, string projection);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Projection {Projection}: committed {Handled} handled of {Read} read events, checkpoint {Position} (rebuild: {IsRebuild}).")]
    private static partial void LogBatchCommitted(ILogger logger, string projection, long handled, int read, string position, bool isRebuild);
}
