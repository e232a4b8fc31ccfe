using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using EventSourcing.Storage;
using Microsoft.Extensions.Logging;

namespace EventSourcing.Aggregates;

public sealed partial class AggregateRepository<TAggregate>
{
    /// <summary>
    /// Runs a command: load, apply <paramref name="command"/>, save. On a concurrency conflict it waits a
    /// short jittered back-off (<see cref="RepositoryOptions.RetryDelay"/>, on the repository's <see cref="TimeProvider"/>), reloads and reruns the command,
    /// up to <see cref="RepositoryOptions.MaxConcurrencyRetries"/> times.
    /// </summary>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="command">The command; it throws to reject.</param>
    /// <param name="metadata">Metadata for every event saved.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The aggregate after the save.</returns>
    /// <exception cref="WrongExpectedVersionException">Every attempt lost its race; <see cref="WrongExpectedVersionException.Attempts"/> says how many ran.</exception>
    /// <remarks>
    /// If the call fails after the append was sent (a broken connection, a lost reply), the outcome is
    /// unknown: the events may be stored. Running the command again may then apply it twice; use the
    /// overload that takes a command id to make re-runs safe.
    /// </remarks>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = OverloadsByCommandId)]
    public async Task<TAggregate> ExecuteAsync(StreamId streamId, Action<TAggregate> command, EventMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var outcome = await RunAsync(streamId, commandId: null, (a, _) => { command(a); return Task.FromResult(true); }, metadata, cancellationToken).ConfigureAwait(false);
        return outcome.Aggregate;
    }

    /// <summary>
    /// Runs an asynchronous command (it may call other services before it raises events): load, await
    /// <paramref name="command"/>, save, retrying lost races as
    /// <see cref="ExecuteAsync(StreamId, Action{TAggregate}, EventMetadata?, CancellationToken)"/> does.
    /// A command that is rerun after a conflict runs again from a freshly loaded aggregate.
    /// </summary>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="command">The command; it throws to reject.</param>
    /// <param name="metadata">Metadata for every event saved.</param>
    /// <param name="cancellationToken">Cancels the command; also passed to <paramref name="command"/>.</param>
    /// <returns>The aggregate and the append's result (its <see cref="AppendResult.Position"/> is what to wait for on an async projection).</returns>
    /// <exception cref="WrongExpectedVersionException">Every attempt lost its race; <see cref="WrongExpectedVersionException.Attempts"/> says how many ran.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = OverloadsByCommandId)]
    public async Task<CommandResult<TAggregate>> ExecuteAsync(StreamId streamId, Func<TAggregate, CancellationToken, Task> command, EventMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var outcome = await RunAsync(streamId, commandId: null, async (a, ct) => { await command(a, ct).ConfigureAwait(false); return true; }, metadata, cancellationToken).ConfigureAwait(false);
        return new CommandResult<TAggregate>(outcome.Aggregate, outcome.AlreadyApplied, outcome.Append);
    }

    /// <summary>
    /// Runs an asynchronous command that returns a value (e.g. the id of what it created): load, await
    /// <paramref name="command"/>, save, retrying lost races as
    /// <see cref="ExecuteAsync(StreamId, Action{TAggregate}, EventMetadata?, CancellationToken)"/> does.
    /// </summary>
    /// <typeparam name="TResult">What the command returns.</typeparam>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="command">The command; it throws to reject.</param>
    /// <param name="metadata">Metadata for every event saved.</param>
    /// <param name="cancellationToken">Cancels the command; also passed to <paramref name="command"/>.</param>
    /// <returns>The aggregate, the append's result and the value the successful attempt returned.</returns>
    /// <exception cref="WrongExpectedVersionException">Every attempt lost its race; <see cref="WrongExpectedVersionException.Attempts"/> says how many ran.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = OverloadsByCommandId)]
    public Task<CommandResult<TAggregate, TResult>> ExecuteAsync<TResult>(StreamId streamId, Func<TAggregate, CancellationToken, Task<TResult>> command, EventMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        return RunAsync(streamId, commandId: null, command, metadata, cancellationToken);
    }

    /// <summary>
    /// Runs a command at most once per command id and stream: load; if the stream already holds the
    /// command's first event (<see cref="CommandIds.EventId"/> of <paramref name="commandId"/>, this stream,
    /// index 0), return the current state without running the command; otherwise apply
    /// <paramref name="command"/> and save its events with ids derived from the command id. A concurrency
    /// conflict reloads and retries as <see cref="ExecuteAsync(StreamId, Action{TAggregate}, EventMetadata?, CancellationToken)"/>
    /// does, with the same derived ids, so a duplicate that committed meanwhile is recognised.
    /// </summary>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="commandId">
    /// The command's id: the same for every attempt of one command (e.g. sent by the client, or
    /// <see cref="CommandIds.FromKey"/> of an idempotency key), a different one for every other command.
    /// </param>
    /// <param name="command">The command; it throws to reject. A command that raises no events leaves no trace, so a re-run runs it again.</param>
    /// <param name="metadata">Metadata for every event saved.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The aggregate, whether the command had already been applied, and the append's result.</returns>
    /// <exception cref="ArgumentException"><paramref name="commandId"/> is <see cref="Guid.Empty"/>.</exception>
    /// <exception cref="WrongExpectedVersionException">Every attempt lost its race; <see cref="WrongExpectedVersionException.Attempts"/> says how many ran.</exception>
    /// <exception cref="DuplicateEventIdException">The last attempt met a duplicate of the command that committed other events under the same ids; the next call reports it as applied.</exception>
    /// <remarks>
    /// This is the safe answer to an unknown outcome: when a call fails after the append was sent (the
    /// events may or may not be stored), call it again with the same command id. The check costs nothing
    /// when the loaded events contain the command's first event or the load started at version 1; after
    /// a snapshot it is one <see cref="IEventStore.ReadEventAsync"/>.
    /// </remarks>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = OverloadsByCommandId)]
    public async Task<CommandResult<TAggregate>> ExecuteAsync(StreamId streamId, Guid commandId, Action<TAggregate> command, EventMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        EnsureCommandId(commandId);
        ArgumentNullException.ThrowIfNull(command);
        var outcome = await RunAsync(streamId, commandId, (a, _) => { command(a); return Task.FromResult(true); }, metadata, cancellationToken).ConfigureAwait(false);
        return new CommandResult<TAggregate>(outcome.Aggregate, outcome.AlreadyApplied, outcome.Append);
    }

    /// <summary>
    /// Runs an asynchronous command at most once per command id and stream, as
    /// <see cref="ExecuteAsync(StreamId, Guid, Action{TAggregate}, EventMetadata?, CancellationToken)"/> does.
    /// </summary>
    /// <param name="streamId">The aggregate's stream.</param>
    /// <param name="commandId">The command's id: the same for every attempt of one command.</param>
    /// <param name="command">The command; it throws to reject.</param>
    /// <param name="metadata">Metadata for every event saved.</param>
    /// <param name="cancellationToken">Cancels the command; also passed to <paramref name="command"/>.</param>
    /// <returns>The aggregate, whether the command had already been applied, and the append's result.</returns>
    /// <exception cref="ArgumentException"><paramref name="commandId"/> is <see cref="Guid.Empty"/>.</exception>
    /// <exception cref="WrongExpectedVersionException">Every attempt lost its race; <see cref="WrongExpectedVersionException.Attempts"/> says how many ran.</exception>
    /// <exception cref="DuplicateEventIdException">The last attempt met a duplicate of the command that committed other events under the same ids.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = OverloadsByCommandId)]
    public async Task<CommandResult<TAggregate>> ExecuteAsync(StreamId streamId, Guid commandId, Func<TAggregate, CancellationToken, Task> command, EventMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        EnsureCommandId(commandId);
        ArgumentNullException.ThrowIfNull(command);
        var outcome = await RunAsync(streamId, commandId, async (a, ct) => { await command(a, ct).ConfigureAwait(false); return true; }, metadata, cancellationToken).ConfigureAwait(false);
        return new CommandResult<TAggregate>(outcome.Aggregate, outcome.AlreadyApplied, outcome.Append);
    }

    /// <summary>The one command loop behind every <c>ExecuteAsync</c>: instrumented, retried with back-off.</summary>
    private async Task<CommandResult<TAggregate, TResult>> RunAsync<TResult>(StreamId streamId, Guid? commandId, Func<TAggregate, CancellationToken, Task<TResult>> command, EventMetadata? metadata, CancellationToken cancellationToken)
    {
        using var activity = RepositoryInstruments.Start(RepositoryInstruments.CommandActivity, streamId, AggregateType);
        if (commandId is { } id)
        {
            activity?.SetTag("eventsourcing.command.id", id);
        }

        try
        {
            var outcome = await RunAttemptsAsync(streamId, commandId, command, metadata, activity, cancellationToken).ConfigureAwait(false);
            activity?.SetTag(StoreInstruments.Tags.Outcome, outcome.AlreadyApplied ? "already_applied" : "executed");
            return outcome;
        }
        catch (Exception ex)
        {
            RepositoryInstruments.Fail(activity, ex);
            throw;
        }
    }

    private async Task<CommandResult<TAggregate, TResult>> RunAttemptsAsync<TResult>(StreamId streamId, Guid? commandId, Func<TAggregate, CancellationToken, Task<TResult>> command, EventMetadata? metadata, Activity? activity, CancellationToken cancellationToken)
    {
        var first = commandId is { } id ? CommandIds.EventId(id, streamId, 0) : Guid.Empty;
        for (var attempt = 1; ; attempt++)
        {
            var loaded = await LoadCoreAsync(streamId, long.MaxValue, asOf: null, cancellationToken, watch: first).ConfigureAwait(false);
            if (commandId is not null
                && (loaded.SawWatched || (loaded.ReplayedFrom > 1 && await _store.ReadEventAsync(streamId, first, cancellationToken).ConfigureAwait(false) is not null)))
            {
                return new CommandResult<TAggregate, TResult>(loaded.Aggregate, alreadyApplied: true, append: null, result: default!);
            }

            var aggregate = loaded.Aggregate;
            var result = await command(aggregate, cancellationToken).ConfigureAwait(false);
            try
            {
                var append = await SaveCoreAsync(streamId, aggregate, commandId, metadata, cancellationToken).ConfigureAwait(false);
                if (commandId is not null && append is { AlreadyAppended: true })
                {
                    // A duplicate committed the same events first; their place in the stream may differ from ours.
                    return new CommandResult<TAggregate, TResult>(await LoadAsync(streamId, cancellationToken).ConfigureAwait(false), alreadyApplied: true, append, result);
                }

                return new CommandResult<TAggregate, TResult>(aggregate, alreadyApplied: false, append, result);
            }
            catch (Exception ex) when (ex is WrongExpectedVersionException || (ex is DuplicateEventIdException && commandId is not null))
            {
                // On a duplicate id, the reload finds the command's first event and reports it as applied.
                if (attempt > _options.MaxConcurrencyRetries)
                {
                    if (ex is WrongExpectedVersionException conflict)
                    {
                        throw new WrongExpectedVersionException(conflict, attempt);
                    }

                    throw;
                }

                var delay = RetryDelay(attempt, _options.RetryDelay, _options.MaxRetryDelay);
                LogRetry(_logger, streamId.Value, attempt, _options.MaxConcurrencyRetries + 1, delay.TotalMilliseconds);
                RepositoryInstruments.Retry(activity, AggregateType, attempt, ex);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// The wait before rerun number <paramref name="attempt"/> (1 = the first rerun), "equal jitter": with
    /// <c>ceiling = min(max, baseDelay × 2^(attempt − 1))</c>, half the ceiling plus a uniformly random part of
    /// the other half, so writers that collided spread out and every rerun still waits.
    /// </summary>
    internal static TimeSpan RetryDelay(int attempt, TimeSpan baseDelay, TimeSpan max)
    {
        if (baseDelay <= TimeSpan.Zero || max <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var ceiling = Math.Min(max.Ticks, baseDelay.Ticks * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromTicks((long)((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2)));
    }

    [LoggerMessage(EventId = 1001, EventName = "CommandRetry", Level = LogLevel.Debug, Message = "Concurrency conflict on stream {StreamId} in attempt {Attempt} of {MaxAttempts}; rerunning the command in {DelayMs:F0} ms.")]
    private static partial void LogRetry(ILogger logger, string streamId, int attempt, int maxAttempts, double delayMs);
}
