namespace EventSourcing.Aggregates;

/// <summary>The outcome of an <c>AggregateRepository.ExecuteAsync</c> command.</summary>
/// <typeparam name="TAggregate">The aggregate type.</typeparam>
public sealed class CommandResult<TAggregate>
    where TAggregate : AggregateRoot
{
    internal CommandResult(TAggregate aggregate, bool alreadyApplied, AppendResult? append)
    {
        Aggregate = aggregate;
        AlreadyApplied = alreadyApplied;
        Append = append;
    }

    /// <summary>
    /// The aggregate after the command: its state once the command's events were saved, or, when
    /// <see cref="AlreadyApplied"/> is true, its current state (which includes the command's events).
    /// </summary>
    public TAggregate Aggregate { get; }

    /// <summary>
    /// True when the stream already held the command's events (a re-run after a lost reply, or a
    /// duplicate that ran at the same time), so the command was not run again and nothing was written.
    /// </summary>
    public bool AlreadyApplied { get; }

    /// <summary>
    /// The append's result: the stream's new version and the global position of its last event (wait for
    /// it with <c>ProjectionDaemon.WaitForPositionAsync</c> to read your own write from an async projection).
    /// Null when the command raised no events or was found already applied before it ran.
    /// </summary>
    public AppendResult? Append { get; }
}

/// <summary>The outcome of an <c>AggregateRepository.ExecuteAsync</c> command that returns a value.</summary>
/// <typeparam name="TAggregate">The aggregate type.</typeparam>
/// <typeparam name="TResult">What the command returned.</typeparam>
public sealed class CommandResult<TAggregate, TResult>
    where TAggregate : AggregateRoot
{
    internal CommandResult(TAggregate aggregate, bool alreadyApplied, AppendResult? append, TResult result)
    {
        Aggregate = aggregate;
        AlreadyApplied = alreadyApplied;
        Append = append;
        Result = result;
    }

    /// <summary>The aggregate after the command.</summary>
    public TAggregate Aggregate { get; }

    /// <summary>True when the command's events were already stored and the command did not run again.</summary>
    public bool AlreadyApplied { get; }

    /// <summary>The append's result (new version, global position); null when the command raised no events.</summary>
    public AppendResult? Append { get; }

    /// <summary>What the command returned in the attempt whose events were saved.</summary>
    public TResult Result { get; }
}
