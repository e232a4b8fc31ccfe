using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres.Internal;

/// <summary>The PostgreSQL encoding of <see cref="GlobalPosition"/>: (writing transaction id as xid8, sequence as bigint).</summary>
internal static class Positions
{
    /// <summary>Reads a position stored in two columns, the transaction id at <paramref name="ordinal"/> and the sequence after it.</summary>
    public static GlobalPosition Read(NpgsqlDataReader reader, int ordinal) =>
        GlobalPosition.FromParts(reader.GetFieldValue<ulong>(ordinal), reader.GetInt64(ordinal + 1));

    /// <summary>Adds a position as two parameters: the transaction id (xid8), then the sequence (bigint).</summary>
    public static void Add(NpgsqlParameterCollection parameters, GlobalPosition position)
    {
        var (transactionId, sequence) = position.ToParts();
        parameters.Add(new NpgsqlParameter<ulong> { NpgsqlDbType = NpgsqlDbType.Xid8, TypedValue = transactionId });
        parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = sequence });
    }
}
