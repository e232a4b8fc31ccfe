using EventSourcing.Storage;

namespace EventSourcing.Postgres;

public sealed partial class PostgresEventStore
{
    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// Reads in keyset pages, one query each, and hands each event out as soon as its row is read. The
    /// first page has up to 5,000 rows; later ones grow (up to 50,000) for a consumer fast enough to get
    /// through them in about a quarter of a second, so that a long stream replays in few round trips.
    /// Payloads and type names are read as UTF-8 bytes into pooled buffers and resolved and
    /// deserialized from there: no string per event.
    /// </para>
    /// <para>
    /// A page's query holds one pooled connection (and its snapshot) while its events are handed out: a
    /// consumer that is slow between events, or stops iterating without disposing the enumerator, keeps
    /// that connection busy for as long, and one that uses the same data source inside the loop needs a
    /// second connection from the pool. The connection goes back to the pool at the end of each page and
    /// when the enumeration ends or is disposed.
    /// </para>
    /// </remarks>
    public IAsyncEnumerable<EventEnvelope> ReadStreamAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateRead(streamId, fromVersion, maxCount);
        ThrowIfDisposed();
        return _streams.ReadAsync(streamId, fromVersion, maxCount, backwards: false, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Paged and connection-holding as <see cref="ReadStreamAsync"/> is, from the newest event down.</remarks>
    public IAsyncEnumerable<EventEnvelope> ReadStreamBackwardsAsync(StreamId streamId, long fromVersion = long.MaxValue, long maxCount = long.MaxValue, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateRead(streamId, fromVersion, maxCount);
        ThrowIfDisposed();
        return _streams.ReadAsync(streamId, fromVersion, maxCount, backwards: true, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// Gap-safe: each page takes only events of transactions older than the oldest transaction still
    /// running in the cluster, in (transaction id, sequence) order, decided in the same statement. An
    /// open write transaction anywhere in the cluster therefore holds readers back until it ends (the
    /// events after it are returned once it commits or rolls back); that delays, but never loses, events.
    /// </para>
    /// <para>
    /// Paged as <see cref="ReadStreamAsync"/> is (5,000 rows first, more for a fast consumer); events are
    /// handed out as their rows are read, and the page's query holds one pooled connection meanwhile: a
    /// slow consumer holds that connection for as long as it takes over the page's events.
    /// </para>
    /// </remarks>
    public IAsyncEnumerable<EventEnvelope> ReadAllAsync(GlobalPosition after, long maxCount = long.MaxValue, IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        ThrowIfDisposed();
        return _log.ReadAsync(after, maxCount, eventTypes, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<EventEnvelope?> ReadEventAsync(StreamId streamId, Guid eventId, CancellationToken cancellationToken = default)
    {
        AppendGuard.ValidateStreamId(streamId);
        ThrowIfDisposed();
        return _streams.ReadEventAsync(streamId, eventId, cancellationToken);
    }
}
