using EventSourcing.Projections;
using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite;

/// <summary>
/// The unit of work a projection runs in on SQLite: write the read model through <see cref="Connection"/>
/// with <see cref="Transaction"/> (set it on each command), and those writes commit together with the
/// checkpoint (async projections) or with the append (inline projections), or not at all. The
/// transaction holds the database's one write lock: keep the work short, and never append to the same
/// database from inside it. Do not commit, roll back or dispose either object.
/// </summary>
public sealed class SqliteProjectionContext : ProjectionContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="projectionName">The projection's name.</param>
    /// <param name="isRebuild">True when the projection must write to its shadow read model.</param>
    /// <param name="connection">The open connection of the unit of work.</param>
    /// <param name="transaction">The unit of work's transaction.</param>
    /// <exception cref="ArgumentNullException">The connection or the transaction is null.</exception>
    public SqliteProjectionContext(string projectionName, bool isRebuild, SqliteConnection connection, SqliteTransaction transaction)
        : base(projectionName, isRebuild)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(transaction);
        Connection = connection;
        Transaction = transaction;
    }

    /// <summary>The open connection; run read-model commands on it, with <see cref="Transaction"/>.</summary>
    public SqliteConnection Connection { get; }

    /// <summary>The transaction the read-model changes must join.</summary>
    public SqliteTransaction Transaction { get; }
}
