using Microsoft.Extensions.Logging;

namespace EventSourcing.Sqlite.Internal;

/// <summary>The one <see cref="SqliteDatabase"/> the backend's services share in a container, made on first use (which applies the schema first).</summary>
internal sealed class SqliteDatabaseProvider(SqliteOptions options, ILogger? logger = null)
{
    private readonly Lazy<SqliteDatabase> _database = new(() => new SqliteDatabase(options) { EnsureSchemaOnFirstUse = true, Logger = logger });

    public SqliteDatabase Database => _database.Value;
}
