namespace EventSourcing;

/// <summary>
/// An append found the stream at another version than expected: another writer got there first.
/// Nothing was written. Reload and retry.
/// </summary>
public sealed class WrongExpectedVersionException : EventStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="expected">What the writer expected.</param>
    /// <param name="actualVersion">The stream's version when the append was refused (0 = no stream), or null when unknown.</param>
    public WrongExpectedVersionException(StreamId streamId, ExpectedVersion expected, long? actualVersion)
        : base($"Append to stream '{streamId}' expected version {expected} but the stream is at {actualVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "an unknown version"}.")
    {
        StreamId = streamId;
        Expected = expected;
        ActualVersion = actualVersion;
    }

    /// <summary>
    /// Creates the exception a command throws when its last attempt lost its race: the last conflict's
    /// details, and how many attempts ran.
    /// </summary>
    /// <param name="lastConflict">The conflict of the last attempt.</param>
    /// <param name="attempts">How many times the command ran (the first run and its reruns).</param>
    public WrongExpectedVersionException(WrongExpectedVersionException lastConflict, int attempts)
        : base(
            $"The command on stream '{lastConflict?.StreamId}' lost the concurrency race in all {attempts} attempts (RepositoryOptions.MaxConcurrencyRetries = {attempts - 1}); nothing of it was written. " +
            $"Last attempt: {lastConflict?.Message} Retry later, or raise MaxConcurrencyRetries if the stream is this contended.",
            lastConflict)
    {
        ArgumentNullException.ThrowIfNull(lastConflict);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        StreamId = lastConflict.StreamId;
        Expected = lastConflict.Expected;
        ActualVersion = lastConflict.ActualVersion;
        Attempts = attempts;
    }

    /// <summary>How many times a command ran before giving up; null when the exception comes from one append.</summary>
    public int? Attempts { get; }

    /// <summary>The stream.</summary>
    public StreamId StreamId { get; }

    /// <summary>What the writer expected.</summary>
    public ExpectedVersion Expected { get; }

    /// <summary>The stream's version when the append was refused (0 = no stream), or null when unknown.</summary>
    public long? ActualVersion { get; }
}
