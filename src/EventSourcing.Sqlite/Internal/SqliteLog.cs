using Microsoft.Extensions.Logging;

namespace EventSourcing.Sqlite.Internal;

/// <summary>The backend's start-up log messages; event ids 3000–3099 are EventSourcing.Sqlite's and never reused.</summary>
internal static partial class SqliteLog
{
    [LoggerMessage(EventId = 3001, EventName = "SchemaApplied", Level = LogLevel.Information, Message = "EventSourcing on SQLite ({Path}): schema at version {Version}.")]
    public static partial void SchemaApplied(ILogger logger, string path, int version);
}
