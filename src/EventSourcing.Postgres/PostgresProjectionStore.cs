using EventSourcing.Postgres.Internal;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres;

/// <summary>
/// The PostgreSQL side of projections: each unit of work is one database transaction holding the
/// read-model writes (through <see cref="PostgresProjectionContext"/>), the fenced checkpoint move and
/// any dead letters; leases are session advisory locks, released when disposed or when the holder's
/// connection dies. The lease only avoids duplicate work: the checkpoint fence is what keeps two
/// instances from both committing.
/// </summary>
public sealed class PostgresProjectionStore : IProjectionStore
{
    private readonly PostgresBackend _backend;
    private readonly TimeProvider _time;
    private readonly PostgresLogReader _log;

    /// <summary>Creates the store. No SQL runs here.</summary>
    /// <param name="dataSource">The data source; not disposed by the store.</param>
    /// <param name="registry">The event types (to count events stored under aliases and old names).</param>
    /// <param name="options">The schema and command timeout.</param>
    /// <param name="timeProvider">The clock for dead-letter timestamps; the system clock when null.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The schema name or the command timeout is invalid.</exception>
    public PostgresProjectionStore(NpgsqlDataSource dataSource, EventTypeRegistry registry, PostgresOptions options, TimeProvider? timeProvider = null)
        : this(new PostgresBackend(dataSource, options), registry, timeProvider)
    {
    }

    /// <summary>Creates the store on the backend the DI wiring shares.</summary>
    internal PostgresProjectionStore(PostgresBackend backend, EventTypeRegistry registry, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _backend = backend;
        _time = timeProvider ?? TimeProvider.System;
        _log = new PostgresLogReader(backend, registry);
    }

    /// <inheritdoc />
    public async ValueTask<ProjectionTransaction> BeginAsync(string projectionName, bool isRebuild, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            return new Transaction(this, new PostgresProjectionContext(projectionName, isRebuild, connection, transaction));
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<IAsyncDisposable?> TryAcquireLeaseAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = new NpgsqlCommand("select pg_try_advisory_lock(hashtextextended($1, 0))", connection) { CommandTimeout = _backend.CommandTimeout };
            command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = LeaseKey(projectionName) });
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
            {
                return new Lease(connection, LeaseKey(projectionName));
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await connection.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = _backend.Command(_backend.Sql.DeadLetters, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = projectionName });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var letters = new List<DeadLetter>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            letters.Add(new DeadLetter(
                projectionName,
                EventId: reader.GetGuid(0),
                StreamId: new StreamId(reader.GetString(1)),
                StreamVersion: reader.GetInt64(2),
                Position: Positions.Read(reader, 3),
                Error: reader.GetString(5),
                Timestamp: reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return letters;
    }

    /// <inheritdoc />
    /// <remarks>Exact up to a million events; above that, the planner's estimate (no full scan).</remarks>
    public ValueTask<long> CountEventsAsync(IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default) =>
        _log.CountAsync(eventTypes, cancellationToken);

    private string LeaseKey(string projectionName) => $"eventsourcing.projection:{_backend.Sql.Schema}:{projectionName}";

    /// <summary>Holds the session advisory lock on its own connection until disposed.</summary>
    private sealed class Lease(NpgsqlConnection connection, string key) : IAsyncDisposable
    {
        private int _released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            try
            {
                using var command = new NpgsqlCommand("select pg_advisory_unlock(hashtextextended($1, 0))", connection);
                command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = key });
                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                // The connection is gone, and the lock with it.
            }
            finally
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>One database transaction: read-model writes, checkpoint moves and dead letters commit together.</summary>
    private sealed class Transaction(PostgresProjectionStore store, PostgresProjectionContext context) : ProjectionTransaction
    {
        private bool _completed;

        public override ProjectionContext Context => context;

        public override async ValueTask<GlobalPosition?> LoadCheckpointAsync(string name, CancellationToken cancellationToken = default) =>
            await CheckpointCommands.LoadAsync(store._backend, context.Connection, context.Transaction, name, cancellationToken).ConfigureAwait(false);

        public override async ValueTask SaveCheckpointAsync(string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken = default) =>
            await CheckpointCommands.SaveAsync(store._backend, context.Connection, context.Transaction, name, expected, position, cancellationToken).ConfigureAwait(false);

        public override async ValueTask DeadLetterAsync(EventEnvelope envelope, Exception error, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(envelope);
            ArgumentNullException.ThrowIfNull(error);
            using var command = store._backend.Command(store._backend.Sql.AddDeadLetter, context.Connection, context.Transaction);
            var parameters = command.Parameters;
            parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = context.ProjectionName });
            parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = envelope.EventId });
            parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = envelope.StreamId.Value });
            parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = envelope.StreamVersion });
            Positions.Add(parameters, envelope.Position);
            parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = error.ToString() });
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = store._time.GetUtcNow().ToUniversalTime() });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        public override async ValueTask CommitAsync(CancellationToken cancellationToken = default)
        {
            await context.Transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _completed = true;
        }

        public override async ValueTask DisposeAsync()
        {
            try
            {
                if (!_completed)
                {
                    await context.Transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                // A broken connection (or a failed commit) has rolled back by itself.
            }
            finally
            {
                await context.Transaction.DisposeAsync().ConfigureAwait(false);
                await context.Connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
