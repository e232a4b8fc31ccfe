using EventSourcing.Postgres.Internal;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres;

/// <summary>
/// The PostgreSQL side of projections: each unit of work is one database transaction holding the
/// read-model writes (through <see cref="PostgresProjectionContext"/>), the fenced checkpoint move and
/// any dead letters. A lease is a row of <c>projection_leases</c> (holder and expiry by the server's clock),
/// renewed in the background while held and deleted when disposed; a holder that dies loses it after
/// <see cref="PostgresOptions.ProjectionLeaseDuration"/>. Rows need no session, so leases hold through a
/// transaction-mode pooler too. The lease only avoids duplicate work: the checkpoint fence is what keeps
/// two instances from both committing.
/// </summary>
public sealed class PostgresProjectionStore : IProjectionStore
{
    private readonly PostgresBackend _backend;
    private readonly TimeProvider _time;
    private readonly PostgresLogReader _log;
    private readonly PostgresDocuments _documents;
    private readonly TimeSpan _leaseDuration;

    /// <summary>This instance's holder id in the lease rows: a lease it could not delete (the server was away) is its own again.</summary>
    private readonly Guid _holder = Guid.NewGuid();

    /// <summary>Per projection, whether a lease of this instance is out: the row is shared by the instance's callers.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _held = new(StringComparer.Ordinal);
    private readonly string _acquireLease;
    private readonly string _renewLease;
    private readonly string _releaseLease;

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
        _documents = new PostgresDocuments(backend);
        _leaseDuration = backend.Options.ProjectionLeaseDuration;
        var leases = $"{backend.Sql.Quoted}.projection_leases";
        _acquireLease = $"""
            insert into {leases} as l (name, holder, expires_at) values ($1, $2, clock_timestamp() + $3)
            on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
            where l.holder = excluded.holder or l.expires_at <= clock_timestamp()
            returning true
            """;
        _renewLease = $"update {leases} set expires_at = clock_timestamp() + $3 where name = $1 and holder = $2";
        _releaseLease = $"delete from {leases} where name = $1 and holder = $2";
    }

    /// <inheritdoc />
    public async ValueTask<ProjectionTransaction> BeginAsync(string projectionName, bool isRebuild, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            return new Transaction(this, new PostgresProjectionContext(projectionName, isRebuild, connection, transaction) { Documents = _documents.Session(connection, transaction) });
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Taken when no row exists, the row is this instance's, or it expired. Held until disposed while a
    /// background renewal moves its expiry forward every third of <see cref="PostgresOptions.ProjectionLeaseDuration"/>.
    /// </remarks>
    public async ValueTask<IAsyncDisposable?> TryAcquireLeaseAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        var gate = _held.GetOrAdd(projectionName, _ => new SemaphoreSlim(1, 1));
        if (!gate.Wait(0))
        {
            return null;
        }

        try
        {
            if (await LeaseCommandAsync(_acquireLease, projectionName, cancellationToken).ConfigureAwait(false) > 0)
            {
                return new Lease(this, projectionName, gate);
            }
        }
        catch
        {
            gate.Release();
            throw;
        }

        gate.Release();
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

    /// <summary>Runs a lease statement (name, holder, duration) in its own short transaction; the rows it touched.</summary>
    private async Task<int> LeaseCommandAsync(string sql, string projectionName, CancellationToken cancellationToken)
    {
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = _backend.Command(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = projectionName });
        command.Parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = _holder });
        if (sql != _releaseLease)
        {
            command.Parameters.Add(new NpgsqlParameter<TimeSpan> { NpgsqlDbType = NpgsqlDbType.Interval, TypedValue = _leaseDuration });
        }

        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A held lease: renewed in the background until disposed, then deleted.</summary>
    private sealed class Lease : IAsyncDisposable
    {
        private readonly PostgresProjectionStore _store;
        private readonly string _name;
        private readonly SemaphoreSlim _gate;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewing;
        private int _released;

        public Lease(PostgresProjectionStore store, string name, SemaphoreSlim gate)
        {
            _store = store;
            _name = name;
            _gate = gate;
            _renewing = Task.Run(() => RenewAsync(_stop.Token), CancellationToken.None);
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            try
            {
                await _stop.CancelAsync().ConfigureAwait(false);
                await _renewing.ConfigureAwait(false);
                await _store.LeaseCommandAsync(_store._releaseLease, _name, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                // The server is away: the row expires by itself (and this instance may take it again meanwhile).
            }
            finally
            {
                _stop.Dispose();
                _gate.Release();
            }
        }

        /// <summary>
        /// Every third of the duration, on the real clock (the expiry is by the server's); a failed renewal
        /// is retried at the next tick. When the row is no longer this instance's (it expired and another
        /// took it), renewing stops: the checkpoint fence keeps the two holders from both committing.
        /// </summary>
        private async Task RenewAsync(CancellationToken stopping)
        {
            var interval = _store._leaseDuration / 3;
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(interval, TimeProvider.System, stopping).ConfigureAwait(false);
                    if (await _store.LeaseCommandAsync(_store._renewLease, _name, stopping).ConfigureAwait(false) == 0)
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    // The data source is gone (its owner shut down without releasing): the row expires.
                    return;
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
                {
                    // The next tick tries again.
                }
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
