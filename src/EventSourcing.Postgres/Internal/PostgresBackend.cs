using Npgsql;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// What every part of the backend shares, built once: the data source, the options (checked here,
/// before any SQL runs), the statements of the schema and the command timeout. The DI wiring builds
/// one and hands it to every store and the initializer; each public constructor builds its own.
/// </summary>
internal sealed class PostgresBackend
{
    /// <summary>Checks the options and builds the schema's statements. No SQL runs here.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The schema name, the command timeout or another store setting is invalid.</exception>
    public PostgresBackend(NpgsqlDataSource dataSource, PostgresOptions options)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        options.ValidateStoreSettings();
        DataSource = dataSource;
        Options = options;
        Sql = new PostgresSql(options.Schema);
        CommandTimeout = options.CommandTimeoutSeconds;
    }

    /// <summary>The one data source every statement runs on; owned by whoever created it, never by the backend.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The options, checked when the backend was built.</summary>
    public PostgresOptions Options { get; }

    /// <summary>Every statement of the schema (the append fast path's included).</summary>
    public PostgresSql Sql { get; }

    /// <summary>The timeout of each command, in whole seconds.</summary>
    public int CommandTimeout { get; }

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => DataSource.OpenConnectionAsync(cancellationToken);

    /// <summary>A command with the backend's timeout.</summary>
    public NpgsqlCommand Command(string sql, NpgsqlConnection connection, NpgsqlTransaction? transaction = null) =>
        new(sql, connection, transaction) { CommandTimeout = CommandTimeout };

    /// <summary>
    /// Prepares a hot statement (appends, paged reads) on its connection: the one place that decides to.
    /// Never behind a transaction-mode pooler (<see cref="PostgresOptions.TransactionPooling"/>): a prepared
    /// statement lives on one server connection, which the pooler hands to other clients between transactions.
    /// </summary>
    public Task PrepareAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        Options.TransactionPooling ? Task.CompletedTask : command.PrepareAsync(cancellationToken);
}
