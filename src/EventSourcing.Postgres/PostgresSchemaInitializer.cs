using System.Globalization;
using System.Text;
using EventSourcing.Postgres.Internal;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres;

/// <summary>
/// Creates and upgrades the backend's schema from numbered, forward-only scripts embedded in the
/// package, recording each applied script's version and checksum in <c>schema_version</c>. Safe when
/// several processes start at once, directly or through a transaction-mode pooler: they queue on a
/// transaction-scoped PostgreSQL advisory lock and the later ones find nothing left to do.
/// </summary>
public sealed class PostgresSchemaInitializer
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresSql _sql;
    private readonly int _commandTimeout;

    /// <summary>Creates the initializer. No SQL runs here.</summary>
    /// <param name="dataSource">The data source; its role needs the right to create the schema (or own it).</param>
    /// <param name="options">The schema and command timeout.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The schema name or the command timeout is invalid.</exception>
    public PostgresSchemaInitializer(NpgsqlDataSource dataSource, PostgresOptions options)
        : this(new PostgresBackend(dataSource, options))
    {
    }

    /// <summary>Creates the initializer on the backend the DI wiring shares.</summary>
    internal PostgresSchemaInitializer(PostgresBackend backend)
    {
        _dataSource = backend.DataSource;
        _sql = backend.Sql;
        _commandTimeout = backend.CommandTimeout;
    }

    /// <summary>The schema version this library's scripts reach.</summary>
    public static int LatestVersion => SchemaScript.LatestVersion;

    private string VersionTable => $"{_sql.Quoted}.schema_version";

    /// <summary>
    /// Creates the schema or applies the scripts it is missing, all in one transaction that first takes a
    /// transaction-scoped advisory lock keyed on the schema name (so it also serialises through a
    /// transaction-mode pooler, and nothing is left held if the process dies). Idempotent; all or nothing. Also aligns the event log with the
    /// cluster's transaction counter when the database was restored or moved into a cluster whose
    /// counter is lower than the log's ids (global-log positions then stay ordered and nothing is skipped).
    /// </summary>
    /// <param name="cancellationToken">Cancels the call; a script in progress rolls back.</param>
    /// <returns>A task that completes when the schema is at <see cref="LatestVersion"/>.</returns>
    /// <exception cref="EventStoreException">An applied script differs from this library's copy (checksum mismatch).</exception>
    public Task ApplyAsync(CancellationToken cancellationToken = default) => ApplyCoreAsync(cancellationToken);

    /// <summary>Applies the missing scripts; returns how many it applied.</summary>
    internal async Task<int> ApplyCoreAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);

        // Transaction-scoped: released by the commit or the rollback (also when the connection dies), and
        // it holds through a transaction-mode pooler, which keeps a transaction on one server connection.
        // Waiting for another process's migration is not bounded by the command timeout; cancellation still applies.
        await ExecuteAsync(connection, transaction, "select pg_advisory_xact_lock(hashtextextended($1, 0))", LockKey, cancellationToken, timeout: 0).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"create schema if not exists {_sql.Quoted}; {VersionTableDdl()}", parameter: null, cancellationToken).ConfigureAwait(false);
        var applied = await ReadAppliedAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        foreach (var script in SchemaScript.All)
        {
            if (applied.TryGetValue(script.Version, out var checksum))
            {
                EnsureSameChecksum(script, checksum);
                continue;
            }

            await ExecuteAsync(connection, transaction, script.Render(_sql.Quoted), parameter: null, cancellationToken).ConfigureAwait(false);
            using var record = new NpgsqlCommand($"insert into {VersionTable} (version, name, checksum) values ($1, $2, $3)", connection, transaction) { CommandTimeout = _commandTimeout };
            record.Parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = script.Version });
            record.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = script.Name });
            record.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = script.Checksum });
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            count++;
        }

        // After a restore or move into a cluster with a lower transaction counter, new log ids must
        // still sort after the stored ones: before any append, raise the log's offset if needed.
        await ExecuteAsync(connection, transaction, _sql.AlignLog, parameter: null, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }

    /// <summary>
    /// Checks, without changing anything, that every script of this library version was applied with
    /// the same content (for <see cref="SchemaMode.None"/>, where a DBA applies the schema).
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the schema is usable.</returns>
    /// <exception cref="EventStoreException">
    /// The schema is missing, behind, or differs, or the log is ahead of the cluster's transaction counter
    /// (a restore into another cluster that <see cref="ApplyAsync"/> has not aligned yet); the message says what to do.
    /// </exception>
    public async Task VerifyAsync(CancellationToken cancellationToken = default)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using (var exists = new NpgsqlCommand("select to_regclass($1) is not null", connection) { CommandTimeout = _commandTimeout })
        {
            exists.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = VersionTable });
            if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                throw new EventStoreException(
                    $"The EventSourcing schema {_sql.Quoted} does not exist (no {VersionTable} table). Apply it with SchemaMode.CreateOrUpdate, " +
                    "PostgresSchemaInitializer.ApplyAsync, or the SQL from PostgresSchemaInitializer.GetScript().");
            }
        }

        var applied = await ReadAppliedAsync(connection, transaction: null, cancellationToken).ConfigureAwait(false);
        foreach (var script in SchemaScript.All)
        {
            if (!applied.TryGetValue(script.Version, out var checksum))
            {
                var current = applied.Count == 0 ? 0 : applied.Keys.Max();
                throw new EventStoreException(
                    $"The EventSourcing schema {_sql.Quoted} is at version {current}, but this library needs version {LatestVersion} (script '{script.Name}' is missing). " +
                    "Apply it with SchemaMode.CreateOrUpdate, PostgresSchemaInitializer.ApplyAsync, or the SQL from PostgresSchemaInitializer.GetScript().");
            }

            EnsureSameChecksum(script, checksum);
        }

        using var misaligned = new NpgsqlCommand(_sql.LogMisaligned, connection) { CommandTimeout = _commandTimeout };
        if (await misaligned.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
        {
            throw new EventStoreException(
                $"The event log of schema {_sql.Quoted} holds transaction ids at or above this PostgreSQL cluster's transaction counter: " +
                "the database was restored or moved into another cluster. Appending now would put new events before old ones and readers " +
                $"would skip them. Run PostgresSchemaInitializer.ApplyAsync (SchemaMode.CreateOrUpdate) once, or 'select {_sql.Quoted}.align_log();' " +
                "as the schema owner, before the application starts.");
        }
    }

    /// <summary>
    /// The SQL that creates the schema from nothing at <see cref="LatestVersion"/>, for a DBA to review
    /// and run as the schema's owner (e.g. with <c>psql -v ON_ERROR_STOP=1 -f</c>). It records the
    /// versions it applies, so the application can run with <see cref="SchemaMode.None"/> afterwards.
    /// </summary>
    /// <returns>The script.</returns>
    public string GetScript()
    {
        var sql = new StringBuilder();
        sql.Append(CultureInfo.InvariantCulture, $"-- EventSourcing.Postgres schema {_sql.Quoted}, version {LatestVersion}. Run as the schema owner.\n");
        sql.Append(CultureInfo.InvariantCulture, $"create schema if not exists {_sql.Quoted};\n");
        sql.Append(VersionTableDdl()).Append('\n');
        foreach (var script in SchemaScript.All)
        {
            sql.Append(CultureInfo.InvariantCulture, $"\n-- {script.Name}.sql\nbegin;\n");
            sql.Append(script.Render(_sql.Quoted).TrimEnd()).Append('\n');
            sql.Append(CultureInfo.InvariantCulture, $"insert into {VersionTable} (version, name, checksum) values ({script.Version}, '{script.Name}', '{script.Checksum}');\ncommit;\n");
        }

        return sql.ToString();
    }

    /// <summary>
    /// The grants an application role needs, and no more: it reads and appends events but cannot
    /// update, delete or truncate them (the immutability triggers are the second line of defence).
    /// Run as the schema owner after the schema exists.
    /// </summary>
    /// <param name="role">The application role: a plain lower-case identifier.</param>
    /// <returns>The GRANT statements.</returns>
    /// <exception cref="ArgumentException"><paramref name="role"/> is not a plain identifier.</exception>
    public string GetGrantScript(string role)
    {
        PostgresOptions.ValidateIdentifier(role, nameof(role));
        var r = PostgresSql.Quote(role);
        var s = _sql.Quoted;
        return $"""
            -- Least privileges of the application role {r} on schema {s}: no UPDATE, DELETE or TRUNCATE on events.
            grant usage on schema {s} to {r};
            grant select, insert on {s}.events to {r};
            grant select, insert, update on {s}.streams to {r};
            grant select, insert, update, delete on {s}.snapshots to {r};
            grant select, insert, update on {s}.checkpoints to {r};
            grant select, insert on {s}.dead_letters to {r};
            grant select, insert, update, delete on {s}.projection_leases to {r};
            grant select, insert, update, delete on {s}.documents to {r};
            grant select on {s}.schema_version to {r};
            grant execute on function {s}.append(text, bigint, uuid[], text[], json[], json[], timestamptz) to {r};
            grant execute on function {s}.log_offset(), {s}.log_tx_id(), {s}.log_horizon() to {r};

            """;
    }

    private string LockKey => "eventsourcing.schema:" + _sql.Schema;

    private string VersionTableDdl() => $"""
        create table if not exists {VersionTable} (
            version    integer     not null primary key,
            name       text        not null,
            checksum   text        not null,
            applied_at timestamptz not null default now());
        """;

    private static void EnsureSameChecksum(SchemaScript script, string checksum)
    {
        if (!string.Equals(script.Checksum, checksum, StringComparison.OrdinalIgnoreCase))
        {
            throw new EventStoreException(
                $"Schema script '{script.Name}' was applied with checksum {checksum}, but this library's copy has {script.Checksum}. " +
                "Applied scripts must never change; restore the original or repair the schema by hand.");
        }
    }

    private async Task<Dictionary<int, string>> ReadAppliedAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, string>();
        using var command = new NpgsqlCommand($"select version, checksum from {VersionTable}", connection, transaction) { CommandTimeout = _commandTimeout };
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            applied[reader.GetInt32(0)] = reader.GetString(1);
        }

        return applied;
    }

    private async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, string? parameter, CancellationToken cancellationToken, int? timeout = null)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = timeout ?? _commandTimeout };
        if (parameter is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = parameter });
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
