namespace EventSourcing.Sqlite.Internal;

/// <summary>The one <see cref="SqliteDatabase"/> the backend's services share in a container, made on first use.</summary>
internal sealed class SqliteDatabaseProvider(SqliteOptions options)
{
    private readonly Lazy<SqliteDatabase> _database = new(() => new SqliteDatabase(options));

    public SqliteDatabase Database => _database.Value;
}
