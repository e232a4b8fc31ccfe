using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite.Internal;

/// <summary>The checkpoint statements, shared by the checkpoint store and projection units of work.</summary>
internal static class CheckpointCommands
{
    public static GlobalPosition? Load(SqliteConnection connection, SqliteTransaction? transaction, string name)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = SqliteSql.LoadCheckpoint;
        Values.Add(command, "$name", name);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Values.ReadPosition(reader, 0) : null;
    }

    /// <summary>Creates (expected null) or moves (fenced on expected) a checkpoint; no row touched is a conflict.</summary>
    public static void Save(SqliteConnection connection, SqliteTransaction? transaction, string name, GlobalPosition? expected, GlobalPosition position)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = expected is null ? SqliteSql.CreateCheckpoint : SqliteSql.MoveCheckpoint;
        Values.Add(command, "$name", name);
        Values.Add(command, "$major", Values.Major(position));
        Values.Add(command, "$minor", position.ToParts().Minor);
        if (expected is { } from)
        {
            Values.Add(command, "$fromMajor", Values.Major(from));
            Values.Add(command, "$fromMinor", from.ToParts().Minor);
        }

        if (command.ExecuteNonQuery() == 0)
        {
            throw new CheckpointConflictException(name, expected);
        }
    }
}
