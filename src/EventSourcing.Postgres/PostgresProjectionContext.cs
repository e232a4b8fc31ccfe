using EventSourcing.Projections;
using Npgsql;

namespace EventSourcing.Postgres;

/// <summary>
/// The unit of work a projection runs in on PostgreSQL: write the read model through
/// <see cref="Connection"/> and <see cref="Transaction"/>, and those writes commit together with the
/// checkpoint (async projections) or with the append (inline projections), or not at all.
/// </summary>
public sealed class PostgresProjectionContext : ProjectionContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="projectionName">The projection's name.</param>
    /// <param name="isRebuild">True when the projection must write to its shadow read model.</param>
    /// <param name="connection">The open connection of the unit of work.</param>
    /// <param name="transaction">The unit of work's transaction.</param>
    public PostgresProjectionContext(string projectionName, bool isRebuild, NpgsqlConnection connection, NpgsqlTransaction transaction)
        : base(projectionName, isRebuild)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(transaction);
        Connection = connection;
        Transaction = transaction;
    }

    /// <summary>The open connection; run read-model commands on it, with <see cref="Transaction"/>.</summary>
    public NpgsqlConnection Connection { get; }

    /// <summary>The transaction the read-model changes must join.</summary>
    public NpgsqlTransaction Transaction { get; }
}
