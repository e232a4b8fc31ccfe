using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Sqlite.Internal;
using Microsoft.Data.Sqlite;

namespace EventSourcing.Sqlite;

/// <summary>
/// The SQLite side of projections. Each unit of work is one <c>BEGIN IMMEDIATE</c> transaction holding
/// the read-model writes (through <see cref="SqliteProjectionContext"/>), the fenced checkpoint move and
/// any dead letters; it holds the database's one write lock from begin to commit, so appends wait for it.
/// A lease is an exclusive lock on a file beside the database (<c>&lt;database&gt;-leases/&lt;hash&gt;.lock</c>),
/// which the operating system releases when the lease is disposed or its process dies; the file keeps the
/// name's epoch, counted up on every acquisition. Such a lock cannot be taken from a live holder, so a
/// lease is lost only by its disposal: a unit of work fenced on it commits only while it is held.
/// </summary>
public sealed class SqliteProjectionStore : IProjectionStore
{
    private readonly SqliteDatabase _database;
    private readonly EventTypeRegistry _registry;
    private readonly TimeProvider _time;

    /// <summary>Creates the store. Nothing is opened here.</summary>
    /// <param name="options">The database file and busy timeout.</param>
    /// <param name="registry">The event types (to count events stored under aliases and old names).</param>
    /// <param name="timeProvider">The clock for dead-letter timestamps; the system clock when null.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public SqliteProjectionStore(SqliteOptions options, EventTypeRegistry registry, TimeProvider? timeProvider = null)
        : this(new SqliteDatabase(options), registry, timeProvider)
    {
    }

    internal SqliteProjectionStore(SqliteDatabase database, EventTypeRegistry registry, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _database = database;
        _registry = registry;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    /// <remarks>Waits for the write lock as an append does (at most <see cref="SqliteOptions.BusyTimeout"/>).</remarks>
    public async ValueTask<ProjectionTransaction> BeginAsync(string projectionName, bool isRebuild, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        await _database.EnterWriterAsync(cancellationToken).ConfigureAwait(false);
        SqliteConnection? connection = null;
        try
        {
            connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
            var transaction = await _database.BeginImmediateAsync(connection, cancellationToken).ConfigureAwait(false);
            return new Transaction(this, new SqliteProjectionContext(projectionName, isRebuild, connection, transaction) { Documents = SqliteDocuments.Session(connection, transaction) });
        }
        catch (Exception ex)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            _database.ExitWriter();
            if (ex is SqliteException sqlite && SqliteErrors.IsBusy(sqlite))
            {
                throw SqliteErrors.Busy(_database.BusyTimeout, ex);
            }

            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask<ProjectionLease?> TryAcquireLeaseAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        cancellationToken.ThrowIfCancellationRequested();
        var directory = _database.FullPath + "-leases";
        Directory.CreateDirectory(directory);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(projectionName)))[..32];
        var path = Path.Combine(directory, hash + ".lock");
        FileStream file;
        try
        {
            // FileShare.None: an exclusive lock (flock on Unix) that any other open of the file, in this
            // process or another, is refused, and that the OS drops when the process dies.
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
        }
        catch (IOException)
        {
            return ValueTask.FromResult<ProjectionLease?>(null);
        }

        try
        {
            // The epoch lives in the lock file, read and written only by the lock's holder.
            Span<byte> bytes = stackalloc byte[sizeof(long)];
            var epoch = file.Read(bytes) == bytes.Length ? BinaryPrimitives.ReadInt64LittleEndian(bytes) + 1 : 1;
            BinaryPrimitives.WriteInt64LittleEndian(bytes, epoch);
            file.Position = 0;
            file.Write(bytes);
            file.Flush(flushToDisk: true);
            return ValueTask.FromResult<ProjectionLease?>(new Lease(this, projectionName, epoch, file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(projectionName);
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSql.DeadLetters;
        Values.Add(command, "$projection", projectionName);
        using var reader = command.ExecuteReader();
        var letters = new List<DeadLetter>();
        while (reader.Read())
        {
            letters.Add(new DeadLetter(
                projectionName,
                EventId: reader.GetGuid(0),
                StreamId: new StreamId(reader.GetString(1)),
                StreamVersion: reader.GetInt64(2),
                Position: Values.ReadPosition(reader, 3),
                Error: reader.GetString(5),
                Timestamp: Values.FromMicroseconds(reader.GetInt64(6))));
        }

        return letters;
    }

    /// <inheritdoc />
    /// <remarks>Exact: a count over the events table (or its rows of these types).</remarks>
    public async ValueTask<long> CountEventsAsync(IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default)
    {
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = connection.CreateCommand();
        if (eventTypes is null)
        {
            command.CommandText = SqliteSql.CountEvents;
        }
        else
        {
            var names = SqliteEventStore.StoredNames(_registry, eventTypes);
            if (names.Length == 0)
            {
                return 0;
            }

            var sql = new StringBuilder(SqliteSql.CountEventsOfTypesPrefix);
            SqliteEventStore.AddTypeList(sql, command, names);
            command.CommandText = sql.ToString();
        }

        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long count ? count : 0L;
    }

    /// <summary>A held lock file; units of work fenced on it commit under its gate, so none commits after its release.</summary>
    private sealed class Lease(SqliteProjectionStore store, string name, long epoch, FileStream file) : ProjectionLease(name, epoch)
    {
        public SqliteProjectionStore Store => store;

        public Lock Gate { get; } = new();

        public bool Released { get; private set; }

        protected override ValueTask ReleaseAsync()
        {
            lock (Gate)
            {
                Released = true;
                file.Dispose();
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>One <c>BEGIN IMMEDIATE</c> transaction: read-model writes, checkpoint moves and dead letters commit together.</summary>
    private sealed class Transaction(SqliteProjectionStore store, SqliteProjectionContext context) : ProjectionTransaction
    {
        private bool _disposed;
        private Lease? _fence;

        public override ProjectionContext Context => context;

        public override ValueTask FenceAsync(ProjectionLease lease, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(lease);
            if (lease is not Lease { Store: var owner } held || !ReferenceEquals(owner, store))
            {
                throw new ArgumentException("The lease was not acquired from this projection store.", nameof(lease));
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (held.Released)
            {
                throw new LeaseLostException(lease.Name, lease.Epoch);
            }

            _fence = held;
            return ValueTask.CompletedTask;
        }

        public override ValueTask<GlobalPosition?> LoadCheckpointAsync(string name, CancellationToken cancellationToken = default)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(CheckpointCommands.Load(context.Connection, context.Transaction, name));
        }

        public override ValueTask SaveCheckpointAsync(string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken = default)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            cancellationToken.ThrowIfCancellationRequested();
            CheckpointCommands.Save(context.Connection, context.Transaction, name, expected, position);
            return ValueTask.CompletedTask;
        }

        public override ValueTask DeadLetterAsync(EventEnvelope envelope, Exception error, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(envelope);
            ArgumentNullException.ThrowIfNull(error);
            cancellationToken.ThrowIfCancellationRequested();
            using var command = context.Connection.CreateCommand();
            command.Transaction = context.Transaction;
            command.CommandText = SqliteSql.AddDeadLetter;
            Values.Add(command, "$projection", context.ProjectionName);
            Values.Add(command, "$id", envelope.EventId);
            Values.Add(command, "$stream", envelope.StreamId.Value);
            Values.Add(command, "$version", envelope.StreamVersion);
            Values.Add(command, "$major", Values.Major(envelope.Position));
            Values.Add(command, "$minor", envelope.Position.ToParts().Minor);
            Values.Add(command, "$error", error.ToString());
            Values.Add(command, "$at", Values.ToMicroseconds(store._time.GetUtcNow()));
            command.ExecuteNonQuery();
            return ValueTask.CompletedTask;
        }

        public override ValueTask CommitAsync(CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_fence is not { } lease)
            {
                context.Transaction.Commit();
                return ValueTask.CompletedTask;
            }

            lock (lease.Gate)
            {
                if (lease.Released)
                {
                    throw new LeaseLostException(lease.Name, lease.Epoch);
                }

                context.Transaction.Commit();
            }

            return ValueTask.CompletedTask;
        }

        public override async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                // Rolls back unless committed.
                context.Transaction.Dispose();
            }
            catch (SqliteException)
            {
                // A failed connection has rolled back by itself.
            }
            finally
            {
                await context.Connection.DisposeAsync().ConfigureAwait(false);
                store._database.ExitWriter();
            }
        }
    }
}
