using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite.Internal;

/// <summary>The one place that reads SQLite result codes (never message text).</summary>
internal static class SqliteErrors
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintUnique = 2067;
    private const int SqliteConstraintPrimaryKey = 1555;

    /// <summary>True for SQLITE_BUSY or SQLITE_LOCKED: the write lock stayed taken for longer than the busy timeout.</summary>
    public static bool IsBusy(SqliteException error) => error.SqliteErrorCode is SqliteBusy or SqliteLocked;

    /// <summary>True for a UNIQUE or PRIMARY KEY constraint violation.</summary>
    public static bool IsUniqueViolation(SqliteException error) =>
        error.SqliteErrorCode == SqliteConstraint && error.SqliteExtendedErrorCode is SqliteConstraintUnique or SqliteConstraintPrimaryKey;

    /// <summary>The error for a write that never got the lock: nothing was written, and a retry may succeed.</summary>
    public static EventStoreException Busy(TimeSpan timeout, Exception? inner) => new(
        $"The SQLite database stayed locked by another writer for longer than the busy timeout ({timeout}); nothing was written. Retry, or raise SqliteOptions.BusyTimeout.",
        inner);
}
