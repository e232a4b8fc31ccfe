using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Sqlite.Internal;
using EventSourcing.Storage;

namespace EventSourcing.Sqlite;

/// <summary>
/// The SQLite event store: one database file in WAL mode, durable commits (<c>synchronous=FULL</c>).
/// SQLite has one writer at a time: each append runs in a <c>BEGIN IMMEDIATE</c> transaction, which takes
/// the database's write lock before it reads the stream's version, and the events' global positions (the
/// <c>events</c> table's rowid) are assigned inside that transaction. The next writer can only start after
/// this one committed or rolled back, so positions commit in order and without gaps: a reader never sees
/// position n + 1 before n, and never misses an event that commits late. Writers of this process queue
/// for the lock (asynchronously); writers of other processes wait for it with SQLite's busy timeout
/// (<see cref="SqliteOptions.BusyTimeout"/>). Reads run on pooled connections and never block writers.
/// Thread-safe; create one per database file and share it; dispose it to close its writer connection.
/// </summary>
public sealed partial class SqliteEventStore : IEventStore, IAsyncDisposable
{
    private readonly SqliteDatabase _database;
    private readonly EventTypeRegistry _registry;
    private readonly TimeProvider _time;
    private InlineProjectionSet _inline = InlineProjectionSet.None;
    private volatile bool _disposed;

    /// <summary>Creates the store. Nothing is opened here; apply the schema first (<see cref="SqliteSchemaInitializer"/>).</summary>
    /// <param name="options">The database file and busy timeout.</param>
    /// <param name="registry">The event types appends and reads use.</param>
    /// <param name="timeProvider">The clock for event timestamps; the system clock when null.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public SqliteEventStore(SqliteOptions options, EventTypeRegistry registry, TimeProvider? timeProvider = null)
        : this(new SqliteDatabase(options), registry, timeProvider)
    {
    }

    internal SqliteEventStore(SqliteDatabase database, EventTypeRegistry registry, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _database = database;
        _registry = registry;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Projections that run inside each append's transaction, after the events are written and before
    /// the commit: their writes through <see cref="SqliteProjectionContext"/> commit with the events, and
    /// one that throws fails the append with nothing written. None by default. Set it at construction.
    /// </summary>
    /// <exception cref="ArgumentException">A projection is null, unnamed, handles no event type, or two share a name.</exception>
    public IReadOnlyList<IProjection> InlineProjections
    {
        get;
        init
        {
            _inline = new InlineProjectionSet(value);
            field = [.. value];
        }
    } = [];

    /// <summary>The inline projections as the DI wiring hands them over (already validated).</summary>
    internal InlineProjectionSet InlineSet
    {
        init => _inline = value;
    }

    /// <summary>Woken after each commit so local projection daemons read at once (set by the DI wiring).</summary>
    internal CommitNotifier? Notifier { get; set; }

    /// <inheritdoc />
    public async ValueTask<GlobalPosition> GetHeadPositionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSql.HeadPosition;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long head ? Values.Position(head) : GlobalPosition.Start;
    }

    /// <inheritdoc />
    public async ValueTask<long> GetStreamVersionAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateStreamId(streamId);
        ThrowIfDisposed();
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSql.StreamVersion;
        Values.Add(command, "$stream", streamId.Value);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long version ? version : 0L;
    }

    /// <summary>
    /// Closes the store's writer connection and the database's idle pooled connections; later calls throw
    /// <see cref="ObjectDisposedException"/>. Waits for an append in progress to finish.
    /// </summary>
    /// <returns>A task that completes when the store is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _database.EnterWriterUncheckedAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _writer?.Dispose();
            _writer = null;
        }
        finally
        {
            _database.ExitWriter();
        }

        _database.ClearPool();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
