using Microsoft.Extensions.Logging;
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

    /// <summary>
    /// Set by the DI wiring: the first statement of any store first applies (<see cref="SchemaMode.CreateOrUpdate"/>)
    /// or verifies (<see cref="SchemaMode.None"/>) the schema, once per backend (so once per data source in a container),
    /// whether or not a host ever started. Stores built by their public constructors leave it off: their caller
    /// runs <see cref="PostgresSchemaInitializer.ApplyAsync"/>.
    /// </summary>
    public bool EnsureSchemaOnFirstUse { get; init; }

    /// <summary>Where start-up (the schema applied or verified) is reported.</summary>
    public ILogger? Logger { get; init; }

    private readonly Lock _schemaGate = new();
    private volatile bool _schemaReady;
    private Task? _schemaPending;

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) =>
        _schemaReady || !EnsureSchemaOnFirstUse ? DataSource.OpenConnectionAsync(cancellationToken) : OpenAfterSchemaAsync(cancellationToken);

    private async ValueTask<NpgsqlConnection> OpenAfterSchemaAsync(CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies or verifies the schema (per <see cref="PostgresOptions.SchemaMode"/>) once: concurrent callers
    /// share one run (itself under the initializer's advisory lock); a failed run is retried by the next caller.
    /// </summary>
    /// <exception cref="EventStoreException">The schema is missing or differs and may not be changed, or applying it failed; the message names the fix.</exception>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return Task.CompletedTask;
        }

        Task pending;
        lock (_schemaGate)
        {
            if (_schemaPending is null || _schemaPending.IsFaulted || _schemaPending.IsCanceled)
            {
                // Not tied to the first caller's token: one caller giving up must not fail the others.
                _schemaPending = Task.Run(() => PrepareSchemaAsync(CancellationToken.None), CancellationToken.None);
            }

            pending = _schemaPending;
        }

        return pending.WaitAsync(cancellationToken);
    }

    private async Task PrepareSchemaAsync(CancellationToken cancellationToken)
    {
        var initializer = new PostgresSchemaInitializer(this);
        var settings = new NpgsqlConnectionStringBuilder(DataSource.ConnectionString);
        var source = $"{settings.Host}:{settings.Port}/{settings.Database}";
        if (Options.SchemaMode == SchemaMode.CreateOrUpdate)
        {
            int applied;
            try
            {
                applied = await initializer.ApplyCoreAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege)
            {
                throw new EventStoreException(
                    $"Could not create or update the EventSourcing schema {Sql.Quoted}: {ex.MessageText}. Run the application once as the schema's owner, " +
                    "or have a DBA run PostgresSchemaInitializer.GetScript() and set PostgresOptions.SchemaMode = SchemaMode.None.", ex);
            }

            if (Logger is not null)
            {
                PostgresLog.SchemaApplied(Logger, Sql.Schema, PostgresSchemaInitializer.LatestVersion, applied, source);
            }
        }
        else
        {
            await initializer.VerifyAsync(cancellationToken).ConfigureAwait(false);
            if (Logger is not null)
            {
                PostgresLog.SchemaVerified(Logger, Sql.Schema, PostgresSchemaInitializer.LatestVersion, source);
            }
        }

        _schemaReady = true;
    }

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
