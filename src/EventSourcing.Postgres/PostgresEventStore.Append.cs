using System.Diagnostics;
using EventSourcing.Postgres.Internal;
using EventSourcing.Storage;

namespace EventSourcing.Postgres;

public sealed partial class PostgresEventStore
{
    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// One round trip whatever the batch size: the events travel as arrays (payloads as UTF-8 bytes)
    /// and are inserted with <c>unnest … with ordinality</c>. With an exact expected version (or
    /// <see cref="ExpectedVersion.NoStream"/>) and no inline projections, the append is one plain SQL
    /// statement (a single event as plain values, not arrays); only when it writes nothing does a second
    /// round trip call the schema's <c>append</c> function, which reports the conflict with the actual
    /// version. With inline projections, the append, the projections' writes and the commit share one
    /// transaction.
    /// </para>
    /// <para>
    /// A call that throws before it returns may or may not have committed (a reply lost with the
    /// connection, a server restart): the outcome is unknown. Retrying with the same
    /// <see cref="EventData"/> (the same event ids) is always safe: a batch already stored is reported as
    /// <see cref="AppendResult.AlreadyAppended"/>, wherever it landed. The store retries by itself only
    /// when the database proves nothing was written: an append whose transaction is older than the
    /// stream's last writer's is refused (per stream, global-log order equals version order), and one
    /// that the server rolled back as a serialization failure (40001) or deadlock victim (40P01), is
    /// re-run in a new transaction, a few times at most. Connection failures, server shutdowns
    /// (57P01, 08xxx) and timeouts reach the caller: their outcome may be unknown.
    /// </para>
    /// </remarks>
    public ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default)
    {
        AppendGuard.Validate(streamId, expectedVersion, events);
        ThrowIfDisposed();
        return PostgresInstruments.Store.IsObserved
            ? AppendObservedAsync(streamId, expectedVersion, events, cancellationToken)
            : _append.AppendAsync(streamId, expectedVersion, events, cancellationToken);
    }

    /// <summary>The append with its activity and metrics; only taken while someone listens.</summary>
    private async ValueTask<AppendResult> AppendObservedAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken)
    {
        using var activity = PostgresInstruments.Store.StartAppend(streamId, expectedVersion, events.Count);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await _append.AppendAsync(streamId, expectedVersion, events, cancellationToken).ConfigureAwait(false);
            PostgresInstruments.Store.Succeeded(activity, started, events.Count, result);
            return result;
        }
        catch (Exception ex)
        {
            PostgresInstruments.Store.Failed(activity, started, events.Count, ex);
            throw;
        }
    }
}
