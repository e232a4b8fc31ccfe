using System.Globalization;
using Npgsql;

namespace EventSourcing.Postgres.Internal;

/// <summary>The one place that turns PostgreSQL errors into library exceptions, by SQLSTATE (never by message text).</summary>
internal static class PostgresErrors
{
    /// <summary>Raised by the append function when the expected version does not hold; HINT carries the actual version.</summary>
    public const string WrongExpectedVersion = "ES409";

    /// <summary>Raised by the immutability triggers on UPDATE, DELETE or TRUNCATE of events.</summary>
    public const string EventsAreImmutable = "ES403";

    /// <summary>
    /// Raised by the append function when the expectation does not hold and some of the batch's ids are
    /// stored in the stream: the store reads them to tell a repeat of the batch from a duplicate id.
    /// </summary>
    public const string StoredIds = "ES422";

    /// <summary>
    /// Raised by the append function when the transaction's log id is older than the stream's last
    /// writer's (appending would put the stream's new events before its old ones in the global log).
    /// Nothing was written; the store retries in a new transaction.
    /// </summary>
    public const string OlderTransaction = "ES503";

    /// <summary>The unique index that keeps an event id once per stream.</summary>
    public const string EventIdIndex = "events_stream_event_id";

    /// <summary>The primary key of the events table: a duplicate (stream, version) can only mean a lost race.</summary>
    public const string EventsPrimaryKey = "events_pkey";

    /// <summary>The primary key of the streams table: the fast path's NoStream insert of a stream that exists.</summary>
    public const string StreamsPrimaryKey = "streams_pkey";

    /// <summary>Translates an error of the append call, or returns null to let it through unchanged.</summary>
    public static EventStoreException? TranslateAppend(PostgresException error, StreamId streamId, ExpectedVersion expected) => error.SqlState switch
    {
        WrongExpectedVersion => new WrongExpectedVersionException(streamId, expected, ParseVersion(error.Hint)),

        // Backstop: the streams row serializes writers, so this needs a stream row changed behind the function's back.
        PostgresErrorCodes.UniqueViolation when error.ConstraintName == EventsPrimaryKey => new WrongExpectedVersionException(streamId, expected, null),
        OlderTransaction => new EventStoreException(
            $"The append to stream '{streamId}' kept losing the stream to newer transactions and was given up after several attempts; nothing was written. Retry it.", error),
        _ => null,
    };

    /// <summary>
    /// True when the server refused or rolled back the append's transaction, so that nothing was
    /// written and a new transaction may succeed: ES503, serialization failure, deadlock victim.
    /// </summary>
    public static bool IsRetryable(PostgresException error) =>
        error.SqlState is OlderTransaction or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected;

    /// <summary>True when the fast path's NoStream statement found the stream (it wrote nothing).</summary>
    public static bool IsExistingStream(PostgresException error) =>
        error.SqlState == PostgresErrorCodes.UniqueViolation && error.ConstraintName == StreamsPrimaryKey;

    /// <summary>True when the error says that some of the batch's ids are already stored in the stream.</summary>
    public static bool IsStoredIds(PostgresException error) =>
        error.SqlState == StoredIds || (error.SqlState == PostgresErrorCodes.UniqueViolation && error.ConstraintName == EventIdIndex);

    private static long? ParseVersion(string? value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
}
