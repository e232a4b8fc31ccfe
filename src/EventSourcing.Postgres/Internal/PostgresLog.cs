using Microsoft.Extensions.Logging;

namespace EventSourcing.Postgres.Internal;

/// <summary>The backend's start-up log messages; event ids 2000–2099 are EventSourcing.Postgres's and never reused.</summary>
internal static partial class PostgresLog
{
    [LoggerMessage(EventId = 2001, EventName = "SchemaApplied", Level = LogLevel.Information, Message = "EventSourcing on PostgreSQL ({Server}): schema \"{Schema}\" is at version {Version} ({Applied} script(s) applied now).")]
    public static partial void SchemaApplied(ILogger logger, string schema, int version, int applied, string server);

    [LoggerMessage(EventId = 2002, EventName = "SchemaVerified", Level = LogLevel.Information, Message = "EventSourcing on PostgreSQL ({Server}): schema \"{Schema}\" verified at version {Version} (SchemaMode.None: nothing changed).")]
    public static partial void SchemaVerified(ILogger logger, string schema, int version, string server);
}
