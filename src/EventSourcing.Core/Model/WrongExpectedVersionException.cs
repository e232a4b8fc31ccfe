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

    /// <summary>The stream.</summary>
    public StreamId StreamId { get; }

    /// <summary>What the writer expected.</summary>
    public ExpectedVersion Expected { get; }

    /// <summary>The stream's version when the append was refused (0 = no stream), or null when unknown.</summary>
    public long? ActualVersion { get; }
}
