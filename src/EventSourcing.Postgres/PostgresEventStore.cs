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
    /// <summary>Rows of the first page of a read, and the fewest of any page (see <see cref="NextPageSize"/>).</summary>
    internal const int PageSize = 5000;

    /// <summary>The most rows of one page.</summary>
    internal const int MaxPageSize = 50_000;

    /// <summary>How long one page (its query and the consumer's handling of its events) should take at most, roughly.</summary>
    internal static readonly TimeSpan PageTime = TimeSpan.FromMilliseconds(250);

    private readonly NpgsqlDataSource _dataSource;
    private readonly EventTypeRegistry _registry;
    private readonly TimeProvider _time;
    private readonly PostgresSql _sql;
    private readonly FastPathSql _fastSql;
    private readonly int _commandTimeout;

    /// <summary>False behind a transaction-mode pooler (<see cref="PostgresOptions.TransactionPooling"/>): a prepared statement lives on one server connection.</summary>
    private readonly bool _prepare;
    private InlineProjectionSet _inline = InlineProjectionSet.None;
    private volatile bool _disposed;

    /// <summary>Creates the store. No SQL runs here; apply the schema first (<see cref="PostgresSchemaInitializer"/>).</summary>
    /// <param name="dataSource">The data source; not disposed by the store.</param>
    /// <param name="registry">The event types appends and reads use.</param>
    /// <param name="options">The schema and command timeout (the connection settings are not used here).</param>
    /// <param name="timeProvider">The clock for event timestamps; the system clock when null.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The schema name or the command timeout is invalid.</exception>
    public PostgresEventStore(NpgsqlDataSource dataSource, EventTypeRegistry registry, PostgresOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        options.ValidateStoreSettings();
        _dataSource = dataSource;
        _registry = registry;
        _time = timeProvider ?? TimeProvider.System;
        _sql = new PostgresSql(options.Schema);
        _fastSql = new FastPathSql(options.Schema);
        _commandTimeout = options.CommandTimeoutSeconds;
        _prepare = !options.TransactionPooling;
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
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = new NpgsqlCommand(_sql.HeadPosition, connection) { CommandTimeout = _commandTimeout };
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? Positions.Read(reader, 0)
            : GlobalPosition.Start;
    }

    /// <inheritdoc />
    public async ValueTask<long> GetStreamVersionAsync(StreamId streamId, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateStreamId(streamId);
        ThrowIfDisposed();
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = new NpgsqlCommand(_sql.StreamVersion, connection) { CommandTimeout = _commandTimeout };
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, TypedValue = streamId.Value });
        var version = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return version is long v ? v : 0L;
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

    /// <summary>Prepares the command on its connection, unless a transaction-mode pooler is in between.</summary>
    private Task PrepareAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        _prepare ? command.PrepareAsync(cancellationToken) : Task.CompletedTask;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
