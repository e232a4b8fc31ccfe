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

    /// <summary>The primary key of the events table: a duplicate (stream, version) can only mean a lost race.</summary>
    public const string EventsPrimaryKey = "events_pkey";

    /// <summary>Translates an error of the append call, or returns null to let it through unchanged.</summary>
    public static EventStoreException? TranslateAppend(PostgresException error, StreamId streamId, ExpectedVersion expected) => error.SqlState switch
    {
        WrongExpectedVersion => new WrongExpectedVersionException(streamId, expected, ParseVersion(error.Hint)),

        // Backstop: the streams row serializes writers, so this needs a stream row changed behind the function's back.
        PostgresErrorCodes.UniqueViolation when error.ConstraintName == EventsPrimaryKey => new WrongExpectedVersionException(streamId, expected, null),
        _ => null,
    };

    private static long? ParseVersion(string? value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
}
