using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EventSourcing.Sqlite.Internal;

/// <summary>
/// One database file as the stores use it: the connection string, the per-connection settings, and the
/// writer queue this process shares for the file (SQLite has one writer at a time; writers of this
/// process wait for their turn asynchronously instead of blocking threads in SQLite's busy handler).
/// </summary>
internal sealed class SqliteDatabase
{
    /// <summary>One writer queue per database file per process, shared by every store on the file.</summary>
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Queues = new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    private readonly SemaphoreSlim _queue;
    private readonly string _pragmas;

    public SqliteDatabase(SqliteOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        (ConnectionString, FullPath) = options.Build();
        BusyTimeout = options.BusyTimeout;
        TimeoutSeconds = options.TimeoutSeconds;
        _queue = Queues.GetOrAdd(FullPath, static _ => new SemaphoreSlim(1, 1));
        var busyMs = (long)Math.Ceiling(BusyTimeout.TotalMilliseconds);
        _pragmas = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {busyMs}; PRAGMA synchronous = FULL;");
    }

    public string ConnectionString { get; }

    public string FullPath { get; }

    public TimeSpan BusyTimeout { get; }

    public int TimeoutSeconds { get; }

    /// <summary>
    /// Set by the DI wiring: the first connection any store opens first applies the schema, once per
    /// database, whether or not a host ever started. Stores built by their public constructors leave it
    /// off: their caller runs <see cref="SqliteSchemaInitializer.ApplyAsync"/>.
    /// </summary>
    public bool EnsureSchemaOnFirstUse { get; init; }

    /// <summary>Where start-up (the schema applied) is reported.</summary>
    public ILogger? Logger { get; init; }

    private readonly Lock _schemaGate = new();
    private volatile bool _schemaReady;
    private Task? _schemaPending;

    /// <summary>Opens a (pooled) connection with the backend's settings, after the schema step when <see cref="EnsureSchemaOnFirstUse"/> is set.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (EnsureSchemaOnFirstUse && !_schemaReady)
        {
            await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        }

        return await OpenUncheckedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies the schema once: concurrent callers share one run; a failed run is retried by the next caller.</summary>
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
                _schemaPending = Task.Run(
                    async () =>
                    {
                        await new SqliteSchemaInitializer(this).ApplyAsync(CancellationToken.None).ConfigureAwait(false);
                        if (Logger is not null)
                        {
                            SqliteLog.SchemaApplied(Logger, FullPath, SqliteSchemaInitializer.LatestVersion);
                        }

                        _schemaReady = true;
                    },
                    CancellationToken.None);
            }

            pending = _schemaPending;
        }

        return pending.WaitAsync(cancellationToken);
    }

    /// <summary>Opens a (pooled) connection with the backend's settings: busy timeout, synchronous=FULL.</summary>
    public async Task<SqliteConnection> OpenUncheckedAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = _pragmas;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits for this process's turn to write to the file, at most <see cref="BusyTimeout"/>.</summary>
    /// <exception cref="EventStoreException">The turn did not come within the busy timeout.</exception>
    public async Task EnterWriterAsync(CancellationToken cancellationToken)
    {
        // Before taking the turn: applying the schema takes it too.
        if (EnsureSchemaOnFirstUse && !_schemaReady)
        {
            await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        }

        await EnterWriterUncheckedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for this process's turn to write to the file, without the schema step (the initializer's and disposal's way in).</summary>
    /// <exception cref="EventStoreException">The turn did not come within the busy timeout.</exception>
    public async Task EnterWriterUncheckedAsync(CancellationToken cancellationToken)
    {
        if (!await _queue.WaitAsync(BusyTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw SqliteErrors.Busy(BusyTimeout, inner: null);
        }
    }

    /// <summary>
    /// Begins a <c>BEGIN IMMEDIATE</c> transaction: takes the database's write lock before anything is read.
    /// While another connection (another process, or a connection outside this backend) holds the lock,
    /// SQLite answers SQLITE_BUSY — at once when it decides a wait could deadlock, otherwise after its busy
    /// handler gave up — and this retries, with an asynchronous backoff of 1 to 50 ms, until
    /// <see cref="BusyTimeout"/> has passed since the first try.
    /// </summary>
    /// <exception cref="EventStoreException">The lock did not come within the busy timeout; nothing was written.</exception>
    public async Task<SqliteTransaction> BeginImmediateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var delay = 1;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return connection.BeginTransaction(deferred: false);
            }
            catch (SqliteException ex) when (SqliteErrors.IsBusy(ex))
            {
                if (Stopwatch.GetElapsedTime(started) >= BusyTimeout)
                {
                    throw SqliteErrors.Busy(BusyTimeout, ex);
                }
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 50);
        }
    }

    /// <summary>Ends this writer's turn.</summary>
    public void ExitWriter() => _queue.Release();

    /// <summary>Closes the idle pooled connections of this database (e.g. before its file is deleted).</summary>
    public void ClearPool()
    {
        using var connection = new SqliteConnection(ConnectionString);
        SqliteConnection.ClearPool(connection);
    }
}
