using Npgsql;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>
/// One database per system on the one server: ours, raw Npgsql and Marten never share tables or
/// catalogs. Within each, write scenarios, single-stream reads and the global log have a schema each
/// (see <see cref="Fixture"/>), so reads see exactly the seeded events.
/// </summary>
public static class Databases
{
    /// <summary>Our PostgreSQL store's database.</summary>
    public const string Ours = "esbench_ours";

    /// <summary>Raw Npgsql's database.</summary>
    public const string Raw = "esbench_raw";

    /// <summary>Marten's database (default and Quick append mode in separate schemas).</summary>
    public const string Marten = "esbench_marten";

    /// <summary>Every database.</summary>
    public static readonly string[] All = [Ours, Raw, Marten];

    private static readonly Lazy<NpgsqlDataSource> OursSource = new(() => NpgsqlDataSource.Create(ConnectionString(Ours)));
    private static readonly Lazy<NpgsqlDataSource> RawSource = new(() => NpgsqlDataSource.Create(ConnectionString(Raw)));
    private static readonly Lazy<NpgsqlDataSource> MartenSource = new(() => NpgsqlDataSource.Create(ConnectionString(Marten)));

    /// <summary>Our store's data source (one per process, as the library recommends).</summary>
    public static NpgsqlDataSource OursDataSource => OursSource.Value;

    /// <summary>Raw Npgsql's data source.</summary>
    public static NpgsqlDataSource RawDataSource => RawSource.Value;

    /// <summary>A data source on Marten's database, for seeding bookkeeping only.</summary>
    public static NpgsqlDataSource MartenDataSource => MartenSource.Value;

    /// <summary>
    /// The connection string every system gets for its database: the same pool settings for all —
    /// automatic preparation of repeated statements and no session reset on return to the pool, the
    /// settings Npgsql's performance guide recommends.
    /// </summary>
    /// <param name="database">The database.</param>
    /// <returns>The connection string.</returns>
    public static string ConnectionString(string database) => new NpgsqlConnectionStringBuilder(BenchSettings.ServerConnectionString)
    {
        Database = database,
        MaxAutoPrepare = 64,
        AutoPrepareMinUsages = 2,
        NoResetOnClose = true,
        MaxPoolSize = 64,
        CommandTimeout = 300,
    }.ConnectionString;
}
