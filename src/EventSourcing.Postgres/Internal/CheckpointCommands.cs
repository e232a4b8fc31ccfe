using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres.Internal;

/// <summary>The checkpoint statements, shared by the checkpoint store and projection units of work.</summary>
internal static class CheckpointCommands
{
    public static async Task<GlobalPosition?> LoadAsync(PostgresSql sql, int timeout, NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(sql.LoadCheckpoint, connection, transaction) { CommandTimeout = timeout };
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = name });
        var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new GlobalPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1))
            : null;
    }

    /// <summary>Creates (expected null) or moves (fenced on expected) a checkpoint; no row touched is a conflict.</summary>
    public static async Task SaveAsync(PostgresSql sql, int timeout, NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(expected is null ? sql.CreateCheckpoint : sql.MoveCheckpoint, connection, transaction) { CommandTimeout = timeout };
        var parameters = command.Parameters;
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = name });
        parameters.Add(new NpgsqlParameter<ulong> { NpgsqlDbType = NpgsqlDbType.Xid8, TypedValue = position.TransactionId });
        parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = position.Sequence });
        if (expected is { } from)
        {
            parameters.Add(new NpgsqlParameter<ulong> { NpgsqlDbType = NpgsqlDbType.Xid8, TypedValue = from.TransactionId });
            parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = from.Sequence });
        }

        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new CheckpointConflictException(name, expected);
        }
    }
}
