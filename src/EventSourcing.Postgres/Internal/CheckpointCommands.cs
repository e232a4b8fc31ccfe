using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres.Internal;

/// <summary>The checkpoint statements, shared by the checkpoint store and projection units of work.</summary>
internal static class CheckpointCommands
{
    public static async Task<GlobalPosition?> LoadAsync(PostgresBackend backend, NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        using var command = backend.Command(backend.Sql.LoadCheckpoint, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = name });
        var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? Positions.Read(reader, 0)
            : null;
    }

    /// <summary>Creates (expected null) or moves (fenced on expected) a checkpoint; no row touched is a conflict.</summary>
    public static async Task SaveAsync(PostgresBackend backend, NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken)
    {
        using var command = backend.Command(expected is null ? backend.Sql.CreateCheckpoint : backend.Sql.MoveCheckpoint, connection, transaction);
        AddSaveParameters(command.Parameters, name, expected, position);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new CheckpointConflictException(name, expected);
        }
    }

    /// <summary>The statement of <see cref="SaveAsync"/> for a batch; check it with <see cref="EnsureSaved"/> once the batch ran.</summary>
    public static NpgsqlBatchCommand Save(PostgresBackend backend, string name, GlobalPosition? expected, GlobalPosition position)
    {
        var command = new NpgsqlBatchCommand(expected is null ? backend.Sql.CreateCheckpoint : backend.Sql.MoveCheckpoint);
        AddSaveParameters(command.Parameters, name, expected, position);
        return command;
    }

    /// <summary>Throws the conflict of a batched <see cref="Save"/> that touched no row.</summary>
    public static void EnsureSaved(NpgsqlBatchCommand save, string name, GlobalPosition? expected)
    {
        if (save.RecordsAffected == 0)
        {
            throw new CheckpointConflictException(name, expected);
        }
    }

    private static void AddSaveParameters(NpgsqlParameterCollection parameters, string name, GlobalPosition? expected, GlobalPosition position)
    {
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = name });
        Positions.Add(parameters, position);
        if (expected is { } from)
        {
            Positions.Add(parameters, from);
        }
    }
}
