using System.Text.RegularExpressions;
using Npgsql;

namespace EventSourcing.Postgres;

/// <summary>
/// Settings of the PostgreSQL backend. With <c>UsePostgres</c>, give either <see cref="ConnectionString"/>
/// (the backend builds one <see cref="NpgsqlDataSource"/> and owns it) or <see cref="DataSource"/>
/// (yours, never disposed by the backend).
/// </summary>
public sealed partial class PostgresOptions
{
    /// <summary>The default schema name.</summary>
    public const string DefaultSchema = "eventsourcing";

    /// <summary>The connection string the backend builds its data source from; null when <see cref="DataSource"/> is given.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>A data source to use instead of building one; the backend does not dispose it.</summary>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>
    /// The schema holding the tables, <c>eventsourcing</c> by default: lower-case letters, digits and
    /// underscores, starting with a letter or underscore, at most 63 characters. Checked before any SQL runs.
    /// </summary>
    public string Schema { get; set; } = DefaultSchema;

    /// <summary>What to do with the schema at start; <see cref="Postgres.SchemaMode.CreateOrUpdate"/> by default.</summary>
    public SchemaMode SchemaMode { get; set; } = SchemaMode.CreateOrUpdate;

    /// <summary>The timeout of each database command, 30 seconds by default; whole seconds, rounded up.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal int CommandTimeoutSeconds => (int)Math.Ceiling(CommandTimeout.TotalSeconds);

    /// <summary>
    /// Whether <c>UsePostgres</c> tells other processes about this process's commits and listens for
    /// theirs, so their async projections wake at once instead of at their next poll. True by default.
    /// After local appends, one coalesced <c>pg_notify</c> on the channel <c>es_&lt;schema&gt;</c> is
    /// sent at most every <see cref="NotificationInterval"/>, always after the commit (never inside the
    /// append's transaction); a process with async projections listens on one dedicated connection.
    /// Polling (<c>ProjectionOptions.PollInterval</c>) stays the fallback.
    /// </summary>
    public bool EnableNotifications { get; set; } = true;

    /// <summary>
    /// The shortest time between two notifications this process sends: commits in between are announced
    /// together. 50 ms by default; at most one minute.
    /// </summary>
    public TimeSpan NotificationInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Set when the connections go through a pooler in TRANSACTION pooling mode (PgBouncer with
    /// <c>pool_mode = transaction</c>, and poolers like it), where each transaction of one client
    /// connection may run on a different server connection, shared with other clients. The backend then
    /// prepares no statement (a prepared statement lives on one server connection: another client could
    /// run it, or it could be missing) and keeps nothing in the session: the schema lock and the
    /// per-stream append lock are transaction-scoped advisory locks and projection leases are rows, with
    /// or without a pooler. LISTEN needs a session, so with this set the process does not listen for
    /// other processes' commits: it still notifies them (<c>pg_notify</c> works through the pooler) and its
    /// async projections poll (<c>ProjectionOptions.PollInterval</c>). A data source built from
    /// <see cref="ConnectionString"/> then skips Npgsql's reset on close (<c>No Reset On Close</c>);
    /// Npgsql's automatic preparation (<c>Max Auto Prepare</c>) must stay off. False by default: connections
    /// go straight to PostgreSQL or through a session-mode pooler. While false, start-up refuses a
    /// transaction-mode pooler that shows itself (two connections open at once served by one server process).
    /// </summary>
    public bool TransactionPooling { get; set; }

    /// <summary>
    /// How long a projection lease lasts without renewal, 15 seconds by default, between one second and
    /// ten minutes. Its holder renews it every third of this; a holder that dies loses it when it expires
    /// (by the database server's clock), and another instance takes the projection over then.
    /// </summary>
    public TimeSpan ProjectionLeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Checks the options as <c>UsePostgres</c> needs them.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message says which and why.</exception>
    public void Validate()
    {
        ValidateStoreSettings();
        if (DataSource is null && string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("PostgresOptions needs a ConnectionString or a DataSource; neither is set.", nameof(ConnectionString));
        }

        if (DataSource is not null && !string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("PostgresOptions has both a ConnectionString and a DataSource; set only one.", nameof(ConnectionString));
        }

        if (TransactionPooling)
        {
            var connectionString = DataSource?.ConnectionString ?? ConnectionString!;
            var settings = new NpgsqlConnectionStringBuilder(connectionString);
            if (settings.MaxAutoPrepare > 0)
            {
                throw new ArgumentException(
                    $"PostgresOptions.TransactionPooling is set, but the {(DataSource is null ? "connection string" : "data source")} enables Npgsql's automatic preparation " +
                    $"(Max Auto Prepare={settings.MaxAutoPrepare}): prepared statements cannot work through a transaction-mode pooler. Remove Max Auto Prepare (or set it to 0).",
                    DataSource is null ? nameof(ConnectionString) : nameof(DataSource));
            }
        }
    }

    /// <summary>The checks every store and the initializer make before they run any SQL.</summary>
    internal void ValidateStoreSettings()
    {
        ValidateIdentifier(Schema, nameof(Schema));
        if (!Enum.IsDefined(SchemaMode))
        {
            throw new ArgumentException($"PostgresOptions.SchemaMode {(int)SchemaMode} is not a SchemaMode value.", nameof(SchemaMode));
        }

        if (CommandTimeout <= TimeSpan.Zero || CommandTimeout.TotalSeconds > int.MaxValue)
        {
            throw new ArgumentException($"PostgresOptions.CommandTimeout must be positive; got {CommandTimeout}.", nameof(CommandTimeout));
        }

        if (NotificationInterval <= TimeSpan.Zero || NotificationInterval > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException($"PostgresOptions.NotificationInterval must be positive and at most one minute; got {NotificationInterval}.", nameof(NotificationInterval));
        }

        if (ProjectionLeaseDuration < TimeSpan.FromSeconds(1) || ProjectionLeaseDuration > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"PostgresOptions.ProjectionLeaseDuration must be between one second and ten minutes; got {ProjectionLeaseDuration}.", nameof(ProjectionLeaseDuration));
        }
    }

    /// <summary>Checks a schema or role name: a plain, lower-case identifier that never needs escaping.</summary>
    internal static void ValidateIdentifier(string? name, string paramName)
    {
        if (name is null || !IdentifierPattern().IsMatch(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid PostgreSQL identifier for {paramName}: use lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters (^[a-z_][a-z0-9_]{{0,62}}$).",
                paramName);
        }
    }

    [GeneratedRegex(@"^[a-z_][a-z0-9_]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();
}
