using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite;

/// <summary>
/// Settings of the SQLite backend: which database file, and how long a writer waits for the database's
/// one write lock. Give either <see cref="FilePath"/> or <see cref="ConnectionString"/>.
/// </summary>
/// <remarks>
/// Every connection the backend opens runs in WAL mode (set on the file by
/// <see cref="SqliteSchemaInitializer"/>) with <c>synchronous=FULL</c>: an append that returned is on
/// disk and survives a power loss. This is not configurable.
/// </remarks>
public sealed class SqliteOptions
{
    /// <summary>The database file (created when missing); null when <see cref="ConnectionString"/> is given.</summary>
    public string? FilePath { get; set; }

    /// <summary>
    /// A Microsoft.Data.Sqlite connection string naming a database file; null when <see cref="FilePath"/>
    /// is given. In-memory and temporary databases are refused (use the in-memory store instead).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// How long a writer waits for the write lock that another connection (in this process or another)
    /// holds before it fails with nothing written: SQLite's <c>busy_timeout</c>, and the wait for this
    /// process's writer queue. 30 seconds by default; between 1 ms and one hour.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the options; no file is touched.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message says which and why.</exception>
    public void Validate() => _ = Build();

    /// <summary>The connection string every connection uses, and the database file's full path.</summary>
    internal (string ConnectionString, string FullPath) Build()
    {
        if (BusyTimeout < TimeSpan.FromMilliseconds(1) || BusyTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"SqliteOptions.BusyTimeout must be between 1 ms and one hour; got {BusyTimeout}.", nameof(BusyTimeout));
        }

        var hasPath = !string.IsNullOrWhiteSpace(FilePath);
        var hasString = !string.IsNullOrWhiteSpace(ConnectionString);
        if (hasPath == hasString)
        {
            throw new ArgumentException(
                hasPath ? "SqliteOptions has both a FilePath and a ConnectionString; set only one." : "SqliteOptions needs a FilePath or a ConnectionString; neither is set.",
                nameof(FilePath));
        }

        SqliteConnectionStringBuilder builder;
        try
        {
            builder = hasPath ? new SqliteConnectionStringBuilder { DataSource = FilePath } : new SqliteConnectionStringBuilder(ConnectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"SqliteOptions.ConnectionString is not a valid SQLite connection string: {ex.Message}", nameof(ConnectionString), ex);
        }

        var source = builder.DataSource;
        if (string.IsNullOrWhiteSpace(source) || source == ":memory:" || builder.Mode == SqliteOpenMode.Memory
            || source.StartsWith("file::memory:", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException(
                "The SQLite backend needs a database file; in-memory and temporary databases are refused (each pooled connection would see its own database). Use the in-memory store instead.",
                hasPath ? nameof(FilePath) : nameof(ConnectionString));
        }

        if (builder.Mode == SqliteOpenMode.ReadOnly)
        {
            throw new ArgumentException("The SQLite backend writes: Mode=ReadOnly is refused.", nameof(ConnectionString));
        }

        builder.DefaultTimeout = TimeoutSeconds;
        return (builder.ConnectionString, Path.GetFullPath(source));
    }

    /// <summary><see cref="BusyTimeout"/> in whole seconds, rounded up (Microsoft.Data.Sqlite's own retry on a busy database).</summary>
    internal int TimeoutSeconds => (int)Math.Ceiling(BusyTimeout.TotalSeconds);
}
