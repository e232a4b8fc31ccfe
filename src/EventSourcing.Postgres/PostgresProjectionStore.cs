using EventSourcing.Postgres.Internal;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres;

/// <summary>
/// The PostgreSQL side of projections: each unit of work is one database transaction holding the
/// read-model writes (through <see cref="PostgresProjectionContext"/>), the fenced checkpoint move and
/// any dead letters. A lease is a row of <c>projection_leases</c> (holder, expiry by the server's clock and
/// an epoch counted up on every acquisition), renewed in the background while held and expired when
/// disposed; a holder that dies loses it after <see cref="PostgresOptions.ProjectionLeaseDuration"/>. A
/// renewal that fails or finds the row taken marks the lease lost (<see cref="ProjectionLease.Lost"/>).
/// Rows need no session, so leases hold through a transaction-mode pooler too, and no connection is held
/// between renewals (each takes one from the pool, so there is no idle lease connection to keep alive).
/// Units of work fenced on a lease check its row's holder and epoch, share-locked until they commit.
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
    private readonly string _fenceLease;

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
            insert into {leases} as l (name, holder, expires_at, epoch) values ($1, $2, clock_timestamp() + $3, 1)
            on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at, epoch = l.epoch + 1
            where l.holder = excluded.holder or l.expires_at <= clock_timestamp()
            returning epoch
            """;
        _renewLease = $"update {leases} set expires_at = clock_timestamp() + $3 where name = $1 and holder = $2 and epoch = $4";
        _releaseLease = $"update {leases} set expires_at = '-infinity' where name = $1 and holder = $2 and epoch = $3";
        _fenceLease = $"select 1 from {leases} where name = $1 and holder = $2 and epoch = $3 for share";
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
    /// Taken when no row exists, the row is this instance's, or it expired; each acquisition counts the
    /// row's epoch up. Held until disposed while a background renewal moves its expiry forward every third
    /// of <see cref="PostgresOptions.ProjectionLeaseDuration"/>; a renewal that fails or finds the row
    /// taken marks the lease lost.
    /// </remarks>
    public async ValueTask<ProjectionLease?> TryAcquireLeaseAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        var gate = _held.GetOrAdd(projectionName, _ => new SemaphoreSlim(1, 1));
        if (!gate.Wait(0))
        {
            return null;
        }

        try
        {
            var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                using var command = LeaseCommand(_acquireLease, connection, projectionName, _leaseDuration, epoch: null);
                if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long epoch)
                {
                    return new Lease(this, projectionName, epoch, gate);
                }
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

    /// <summary>A lease statement: ($1 name, $2 holder[, $3 duration][, epoch]).</summary>
    private NpgsqlCommand LeaseCommand(string sql, NpgsqlConnection connection, string projectionName, TimeSpan? duration, long? epoch, NpgsqlTransaction? transaction = null)
    {
        var command = _backend.Command(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = projectionName });
        command.Parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = _holder });
        if (duration is { } d)
        {
            command.Parameters.Add(new NpgsqlParameter<TimeSpan> { NpgsqlDbType = NpgsqlDbType.Interval, TypedValue = d });
        }

        if (epoch is { } e)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = e });
        }

        return command;
    }

    /// <summary>The fence of a unit of work on <paramref name="lease"/>, for a batch: a row while its epoch is current (and then a share lock on it).</summary>
    private NpgsqlBatchCommand FenceCommand(ProjectionLease lease) => new(_fenceLease)
    {
        Parameters =
        {
            new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = lease.Name },
            new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = _holder },
            new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = lease.Epoch },
        },
    };

    /// <summary>Runs a lease statement on a pooled connection in its own implicit transaction; the rows it touched.</summary>
    private async Task<int> LeaseCommandAsync(string sql, string projectionName, TimeSpan? duration, long epoch, CancellationToken cancellationToken)
    {
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = LeaseCommand(sql, connection, projectionName, duration, epoch);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A held lease: renewed in the background until disposed (then expired) or found lost.</summary>
    private sealed class Lease : ProjectionLease
    {
        private readonly PostgresProjectionStore _store;
        private readonly SemaphoreSlim _gate;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewing;

        public Lease(PostgresProjectionStore store, string name, long epoch, SemaphoreSlim gate)
            : base(name, epoch)
        {
            _store = store;
            _gate = gate;
            _renewing = Task.Run(() => RenewAsync(_stop.Token), CancellationToken.None);
        }

        public PostgresProjectionStore Store => _store;

        protected override async ValueTask ReleaseAsync()
        {
            try
            {
                await _stop.CancelAsync().ConfigureAwait(false);
                await _renewing.ConfigureAwait(false);
                await _store.LeaseCommandAsync(_store._releaseLease, Name, duration: null, Epoch, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException or ObjectDisposedException)
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
        /// Every third of the duration, on the real clock (the expiry is by the server's). A renewal that
        /// finds the row no longer this lease's (another instance took it after it expired) or that fails
        /// (the server or the network is away, so the row may expire unseen) marks the lease lost: its
        /// runner stops, and the epoch fence refuses any commit it still attempts.
        /// </summary>
        private async Task RenewAsync(CancellationToken stopping)
        {
            var interval = _store._leaseDuration / 3;
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(interval, TimeProvider.System, stopping).ConfigureAwait(false);
                    if (await _store.LeaseCommandAsync(_store._renewLease, Name, _store._leaseDuration, Epoch, stopping).ConfigureAwait(false) == 0)
                    {
                        MarkLost();
                        return;
                    }
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException or ObjectDisposedException)
                {
                    MarkLost();
                    return;
                }
            }
        }
    }

    /// <summary>One database transaction: read-model writes, checkpoint moves and dead letters commit together.</summary>
    private sealed class Transaction(PostgresProjectionStore store, PostgresProjectionContext context) : ProjectionTransaction
    {
        private const string SynchronousCommitOff = "set local synchronous_commit = off";
        private const string SynchronousCommitDefault = "set local synchronous_commit to default";
        private bool _completed;
        private bool _asyncCommit;
        private bool _movesLive;

        /// <summary>The lease of a fence asked for and not yet run (see <see cref="FenceAsync"/>).</summary>
        private ProjectionLease? _fence;

        /// <summary>The lease whose fence found it no longer current: the commit refuses.</summary>
        private ProjectionLease? _lost;

        public override ProjectionContext Context => context;

        public override async ValueTask<GlobalPosition?> LoadCheckpointAsync(string name, CancellationToken cancellationToken = default) =>
            await CheckpointCommands.LoadAsync(store._backend, context.Connection, context.Transaction, name, cancellationToken).ConfigureAwait(false);

        /// <remarks>
        /// A rebuild's unit of work that moves only a shadow checkpoint (not the projection's own) commits
        /// with <c>synchronous_commit = off</c>: it spares a WAL flush per batch, and losing the last such
        /// commits in a server crash loses nothing anyone reads (only the rebuild reads its shadow, and it
        /// dies with the crash). The swap, which moves the projection's checkpoint, commits durably, and
        /// the WAL is flushed in order, so every shadow batch before it is durable with it.
        /// </remarks>
        public override async ValueTask SaveCheckpointAsync(string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken = default)
        {
            var shadow = context.IsRebuild && !string.Equals(name, context.ProjectionName, StringComparison.Ordinal);
            _movesLive |= !shadow;
            var asyncCommit = !_movesLive;
            var setCommit = asyncCommit != _asyncCommit;
            if (_fence is null && !setCommit)
            {
                await CheckpointCommands.SaveAsync(store._backend, context.Connection, context.Transaction, name, expected, position, cancellationToken).ConfigureAwait(false);
                return;
            }

            // The fence asked for before, the commit mode and the move: one round trip.
            using var batch = new NpgsqlBatch(context.Connection, context.Transaction) { Timeout = store._backend.CommandTimeout };
            var fence = _fence;
            if (fence is not null)
            {
                batch.BatchCommands.Add(store.FenceCommand(fence));
            }

            if (setCommit)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(asyncCommit ? SynchronousCommitOff : SynchronousCommitDefault));
            }

            var move = CheckpointCommands.Save(store._backend, name, expected, position);
            batch.BatchCommands.Add(move);
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (fence is not null)
                {
                    _fence = null;
                    if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        // As if the fence had failed on its own: the commit refuses (the contract of FenceAsync).
                        _lost = fence;
                        return;
                    }

                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                }

                while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
                {
                }
            }

            _asyncCommit = asyncCommit;
            CheckpointCommands.EnsureSaved(move, name, expected);
        }

        /// <remarks>
        /// Only checks the lease here; the fence's statement runs with the next checkpoint move (one round
        /// trip for both) or before the commit, whichever comes first. It takes the lease row's share lock
        /// anywhere before the commit all the same: a takeover before it fails the commit, one after it
        /// waits for the commit.
        /// </remarks>
        public override ValueTask FenceAsync(ProjectionLease lease, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(lease);
            if (lease is not Lease { Store: var owner } || !ReferenceEquals(owner, store))
            {
                throw new ArgumentException("The lease was not acquired from this projection store.", nameof(lease));
            }

            _fence = lease;
            return ValueTask.CompletedTask;
        }

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
            if (_fence is { } fence)
            {
                using var command = store.LeaseCommand(store._fenceLease, context.Connection, fence.Name, duration: null, fence.Epoch, context.Transaction);
                _fence = null;
                if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
                {
                    _lost = fence;
                }
            }

            if (_lost is { } lost)
            {
                throw new LeaseLostException(lost.Name, lost.Epoch);
            }

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
