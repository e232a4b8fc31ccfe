using System.Data;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Npgsql;
using NpgsqlTypes;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// The append, whole: which statement writes (the single-statement fast path of <see cref="FastPathSql"/>
/// or the schema's <c>append</c> function), the retries of appends the server proved it did not write,
/// the translation of its errors (<see cref="PostgresErrors"/>), telling a repeated batch from a
/// duplicate id, inline projections in the append's transaction, and the commit notification.
/// </summary>
/// <remarks>
/// The locking rule, for both statements: an append holds the stream's row lock before it writes an
/// event (the function queues on a per-stream advisory lock, then locks the row for update; the fast
/// path's conditional update or insert locks it), and writes only when, on the locked row, the
/// expectation holds and the last writer's log id is not newer than this transaction's (else ES503,
/// nothing written, retried here). Per stream one writer wins at a time, and global-log order is
/// version order. See <c>003_guarantees.sql</c> and <see cref="FastPathSql"/>.
/// </remarks>
internal sealed partial class AppendProtocol(PostgresBackend backend, EventTypeRegistry registry, TimeProvider time, CommitNotifier? notifier)
{
    /// <summary>How many times an append the server refused or rolled back (ES503, 40001, 40P01) is tried in all.</summary>
    private const int OrderRetries = 8;

    /// <summary>Projections that run inside each append's transaction; set at the store's construction only.</summary>
    public InlineProjectionSet Inline { get; set; } = InlineProjectionSet.None;

    /// <summary>Appends a validated batch (see <see cref="PostgresEventStore.AppendAsync"/> for the promises).</summary>
    public async ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken)
    {
        var batch = Serialize(events);

        // The fast path: an exact expectation that can hold (no overflow), no inline projections (they
        // need the function's result inside their transaction); one event goes as plain values.
        var fastSql = !Inline.IsEmpty || !expectedVersion.IsExact || AppendGuard.Overflows(expectedVersion, batch.Count)
            ? null
            : backend.Sql.FastPath.For(noStream: expectedVersion.Value == 0, single: batch.Count == 1);

        AppendResult result;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                result = await AppendOnceAsync(fastSql, streamId, expectedVersion, batch, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (PostgresException error) when (PostgresErrors.IsRetryable(error) && attempt < OrderRetries)
            {
                // The transaction was refused or rolled back by the server: nothing was written, and a
                // new transaction (with a newer id) can succeed.
            }
            catch (PostgresException error) when (PostgresErrors.IsStoredIds(error))
            {
                result = await ResolveStoredBatchAsync(streamId, batch.Ids, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (PostgresException error) when (PostgresErrors.TranslateAppend(error, streamId, expectedVersion) is { } translated)
            {
                throw translated;
            }
        }

        if (!result.AlreadyAppended)
        {
            // Woken after each commit that wrote, so local projection daemons read at once.
            notifier?.Notify();
        }

        return result;
    }

    private AppendBatch Serialize(IReadOnlyList<EventData> events)
    {
        var count = events.Count;
        var ids = new Guid[count];
        var types = new string[count];
        var data = new byte[count][];
        var metadata = new byte[]?[count];
        for (var i = 0; i < count; i++)
        {
            var e = events[i];
            ids[i] = e.EventId;
            data[i] = registry.SerializeEvent(e.Event, out types[i]);
            metadata[i] = MetadataJson.Serialize(e.Metadata);
        }

        // Microseconds, as PostgreSQL stores them, so what inline projections see equals what readers see.
        var now = time.GetUtcNow().ToUniversalTime();
        return new AppendBatch(ids, types, data, metadata, new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero));
    }

    /// <summary>One attempt, in one transaction: the fast path (falling back to the function), the function, or the function with inline projections.</summary>
    private async Task<AppendResult> AppendOnceAsync(string? fastSql, StreamId streamId, ExpectedVersion expectedVersion, AppendBatch batch, CancellationToken cancellationToken)
    {
        var connection = await backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = backend.Command(fastSql ?? backend.Sql.Append, connection);
        AddParameters(command.Parameters, streamId, expectedVersion, batch, single: fastSql is not null && batch.Count == 1);
        if (fastSql is not null)
        {
            // The single statement of FastPathSql, read here rather than in a method of its own (one async
            // state machine less per append): the result when the events were written; else (no row, a row
            // of NULLs, or for NoStream 23505 on streams_pkey: nothing written) the function.
            await backend.PrepareAsync(command, cancellationToken).ConfigureAwait(false);
            try
            {
                var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && !reader.IsDBNull(0))
                {
                    return new AppendResult(streamId, expectedVersion.Value + batch.Count, Positions.Read(reader, 0), AlreadyAppended: false);
                }
            }
            catch (PostgresException error) when (PostgresErrors.IsExistingStream(error))
            {
            }

            return await FallBackToFunctionAsync(command, streamId, expectedVersion, batch, cancellationToken).ConfigureAwait(false);
        }

        if (Inline.IsEmpty)
        {
            await backend.PrepareAsync(command, cancellationToken).ConfigureAwait(false);
            return await ExecuteFunctionAsync(command, streamId, cancellationToken).ConfigureAwait(false);
        }

        return await AppendWithInlineProjectionsAsync(connection, command, streamId, batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Some of the batch's ids are stored in the stream (an event id is stored at most once per stream).
    /// When all of them are, at consecutive versions in the batch's order, this is a repeat of an append
    /// that committed (e.g. a retry after a lost reply): "already appended", with the stored position.
    /// Anything else is a duplicate id.
    /// </summary>
    private async Task<AppendResult> ResolveStoredBatchAsync(StreamId streamId, Guid[] ids, CancellationToken cancellationToken)
    {
        var connection = await backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = backend.Command(backend.Sql.StoredOfBatch, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = streamId.Value });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, TypedValue = ids });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var stored = new Dictionary<Guid, (long Version, GlobalPosition Position)>(ids.Length);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            stored[reader.GetGuid(1)] = (reader.GetInt64(0), Positions.Read(reader, 2));
        }

        var versions = new long[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            versions[i] = stored.TryGetValue(ids[i], out var at) ? at.Version : 0;
        }

        if (StoredBatch.RepeatEnd(streamId, ids, versions) is { } end)
        {
            return new AppendResult(streamId, end, stored[ids[^1]].Position, AlreadyAppended: true);
        }

        throw new EventStoreException($"The append to stream '{streamId}' was refused for ids the stream holds, but none of them could be read back.");
    }
}
