using EventSourcing.Postgres.Internal;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Npgsql;

namespace EventSourcing.Postgres;

/// <summary>
/// The PostgreSQL event store. An append is one round trip and one implicit transaction that enforces
/// the expected version on the stream's row (one plain statement for an exact expected version, the
/// schema's <c>append</c> function otherwise and to report a failed expectation); the global
/// log is ordered by (transaction id, sequence) and read only below the oldest running transaction, so
/// it never skips an event that commits late. Thread-safe; create one per schema and share it.
/// </summary>
public sealed partial class PostgresEventStore : IEventStore, IAsyncDisposable
{
    private readonly PostgresBackend _backend;
    private readonly PostgresStreamReader _streams;
    private readonly PostgresLogReader _log;
    private readonly AppendProtocol _append;
    private volatile bool _disposed;

    /// <summary>Creates the store. No SQL runs here; apply the schema first (<see cref="PostgresSchemaInitializer"/>).</summary>
    /// <param name="dataSource">The data source; not disposed by the store.</param>
    /// <param name="registry">The event types appends and reads use.</param>
    /// <param name="options">The schema and command timeout (the connection settings are not used here).</param>
    /// <param name="timeProvider">The clock for event timestamps; the system clock when null.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The schema name or the command timeout is invalid.</exception>
    public PostgresEventStore(NpgsqlDataSource dataSource, EventTypeRegistry registry, PostgresOptions options, TimeProvider? timeProvider = null)
        : this(new PostgresBackend(dataSource, options), registry, timeProvider)
    {
    }

    /// <summary>
    /// Creates the store on the backend the DI wiring shares, with the inline projections it hands over
    /// (already validated) and the notifier woken after each commit so local projection daemons read at once.
    /// </summary>
    internal PostgresEventStore(PostgresBackend backend, EventTypeRegistry registry, TimeProvider? timeProvider, InlineProjectionSet? inline = null, CommitNotifier? notifier = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _backend = backend;
        _streams = new PostgresStreamReader(backend, registry);
        _log = new PostgresLogReader(backend, registry);
        _append = new AppendProtocol(backend, registry, timeProvider ?? TimeProvider.System, notifier) { Inline = inline ?? InlineProjectionSet.None };
    }

    /// <summary>
    /// Projections that run inside each append's transaction, after the events are written and before
    /// the commit: their writes through <see cref="PostgresProjectionContext"/> commit with the events,
    /// and one that throws fails the append with nothing written. None by default. Set it at construction.
    /// </summary>
    /// <exception cref="ArgumentException">A projection is null, unnamed, handles no event type, or two share a name.</exception>
    public IReadOnlyList<IProjection> InlineProjections
    {
        get;
        init
        {
            _append.Inline = new InlineProjectionSet(value);
            field = [.. value];
        }
    } = [];

    /// <inheritdoc />
    public ValueTask<GlobalPosition> GetHeadPositionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _log.HeadAsync(cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<long> GetStreamVersionAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateStreamId(streamId);
        ThrowIfDisposed();
        return _streams.VersionAsync(streamId, cancellationToken);
    }

    /// <summary>
    /// Marks the store disposed; later calls throw <see cref="ObjectDisposedException"/>. The data source
    /// belongs to whoever created it and is not disposed.
    /// </summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return ValueTask.CompletedTask;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
