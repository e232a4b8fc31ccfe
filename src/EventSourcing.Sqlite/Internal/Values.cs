using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite.Internal;

/// <summary>How the backend stores timestamps and positions.</summary>
internal static class Values
{
    /// <summary>A timestamp as stored: microseconds since the Unix epoch, UTC.</summary>
    public static long ToMicroseconds(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>A stored timestamp back as a UTC <see cref="DateTimeOffset"/>.</summary>
    public static DateTimeOffset FromMicroseconds(long value) => new(DateTimeOffset.UnixEpoch.UtcTicks + (value * 10), TimeSpan.Zero);

    /// <summary>The clock's time truncated to microseconds (what readers will get).</summary>
    public static DateTimeOffset Now(TimeProvider time) => FromMicroseconds(ToMicroseconds(time.GetUtcNow()));

    /// <summary>A position of this backend: (0, rowid).</summary>
    public static GlobalPosition Position(long rowid) => GlobalPosition.FromParts(0, rowid);

    /// <summary>The major part as stored in an INTEGER column (the same 64 bits).</summary>
    public static long Major(GlobalPosition position) => unchecked((long)position.ToParts().Major);

    /// <summary>Reads a position stored as (major, minor) at <paramref name="ordinal"/>.</summary>
    public static GlobalPosition ReadPosition(SqliteDataReader reader, int ordinal) =>
        GlobalPosition.FromParts(unchecked((ulong)reader.GetInt64(ordinal)), reader.GetInt64(ordinal + 1));

    /// <summary>Adds a named parameter.</summary>
    public static SqliteParameter Add(SqliteCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
