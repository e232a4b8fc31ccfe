namespace EventSourcing.Postgres.Internal;

/// <summary>
/// The single-statement appends for an exact expected version (NoStream or n ≥ 1): one plain SQL
/// statement instead of a call of the plpgsql <c>append</c> function, which costs noticeably more per
/// call under concurrency (measured with pgbench at 8 clients: 0.70–0.72× raw INSERT throughput for the
/// function, 0.87–0.91× for this statement; on 2026-12-02, with 3.7 million events in each table,
/// 0.73–0.89×, median 0.78: see <c>benchmarks/sql/pgbench</c>). Parameters are those of the function
/// call, in its order: $1 stream id, $2 expected version, $3 ids, $4 types, $5 data, $6 metadata,
/// $7 timestamp; for a single
/// event $3–$6 are plain values instead of one-element arrays (measured at 8 writers: about 10% more
/// appends/s than with arrays).
/// </summary>
/// <remarks>
/// <para>
/// Each statement writes the stream row and the events in one implicit transaction, or nothing. It
/// returns the (transaction id, position) of the last event, or no row (one event) or a row of NULLs
/// (several) when the expectation or the order guard (the stream's last writer must not have a newer
/// log id) did not hold and nothing was written; for NoStream on a stream that exists, it fails with
/// <c>23505</c> on <c>streams_pkey</c> instead, also having written nothing. The caller then calls the
/// function, which reports the reason (<c>ES409</c>, <c>ES422</c> for stored ids, <c>ES503</c>) or
/// writes; the fast path never decides either. Stored ids hit on insert surface as <c>23505</c> on
/// <c>events_stream_event_id</c>.
/// </para>
/// <para>
/// Concurrency, as in the function: the conditional UPDATE locks the stream row; a concurrent writer with
/// the same expectation waits for that lock and, once the first commits, re-checks its predicate on the
/// new row version (EvalPlanQual under READ COMMITTED), matches nothing and writes nothing. For NoStream,
/// the plain insert of the stream row waits for a concurrent inserter of the same stream id and fails
/// once it commits (or goes ahead if it rolls back); the statement is the whole transaction, so the
/// failure writes nothing. (A plain insert, not <c>on conflict do nothing</c>: the speculative insertion
/// that clause needs costs a probe of the index before the insert and a confirmation record after it:
/// 47–51 WAL bytes more per new stream and, in 12 paired rounds of
/// <c>benchmarks/sql/append-server-cost.sql</c>, a median of 20.0 µs against 18.6 µs; a conflict is the
/// rare case and takes a second round trip anyway.) The events are inserted only from the row the stream
/// write returned, so a lost race never writes an event; the events primary key stays the backstop.
/// </para>
/// </remarks>
internal sealed class FastPathSql
{
    private readonly string _noStreamMany;
    private readonly string _exactMany;
    private readonly string _noStreamOne;
    private readonly string _exactOne;

    /// <summary>Builds the statements for a schema name <see cref="PostgresSql"/> validated and quoted.</summary>
    public FastPathSql(string quotedSchema)
    {
        var s = quotedSchema;

        // "w" writes the stream row and returns one row (base = the version before the append, i.e. the
        // expected version: 0 for NoStream) only when the expectation held; the events are inserted
        // from that row alone. Creating a stream that exists fails the statement (23505 on streams_pkey).
        var createStream = $"""
            with w as (
                insert into {s}.streams (stream_id, version, created_at, updated_at, last_tx_id)
                values ($1, @count, $7, $7, {s}.log_tx_id())
                returning $2::bigint as base, updated_at as at)
            """;

        // The order guard (see 003_guarantees.sql): the row matches only when this transaction's log id
        // is not older than the stream's last writer's. The id is taken when the predicate is first
        // evaluated, before any wait for the row lock, and the predicate is re-checked on the row a
        // concurrent writer committed. Timestamps never go backwards within the stream.
        var moveStream = $"""
            with w as (
                update {s}.streams
                set version = version + @count, updated_at = greatest(updated_at, $7), last_tx_id = {s}.log_tx_id()
                where stream_id = $1 and version = $2 and (last_tx_id is null or last_tx_id <= {s}.log_tx_id())
                returning $2::bigint as base, updated_at as at)
            """;

        // Many events: arrays, unnest … with ordinality, as in the function. One row back: the last
        // event's (tx_id, position), or NULLs when nothing was written.
        var many = $"""
            , ins as (
                insert into {s}.events (stream_id, version, event_id, event_type, data, metadata, created_at)
                select $1, w.base + e.ord, e.id, e.event_type, e.data, e.metadata, w.at
                from w, unnest($3::uuid[], $4::text[], $5::json[], $6::json[]) with ordinality as e(id, event_type, data, metadata, ord)
                order by e.ord
                returning tx_id, global_position)
            select max(ins.tx_id), max(ins.global_position) from ins
            """;

        // One event: plain values (no arrays to build, send and unnest). No row back when nothing was written.
        var one = $"""

            insert into {s}.events (stream_id, version, event_id, event_type, data, metadata, created_at)
            select $1, w.base + 1, $3, $4, $5, $6, w.at from w
            returning tx_id, global_position
            """;

        const string Many = "cardinality($3::uuid[])";
        _noStreamMany = createStream.Replace("@count", Many, StringComparison.Ordinal) + many;
        _exactMany = moveStream.Replace("@count", Many, StringComparison.Ordinal) + many;
        _noStreamOne = createStream.Replace("@count", "1", StringComparison.Ordinal) + one;
        _exactOne = moveStream.Replace("@count", "1", StringComparison.Ordinal) + one;
    }

    /// <summary>
    /// The statement for creating the stream (<paramref name="noStream"/>: expected version 0) or for an
    /// exact version n ≥ 1, for one event (single values in $3–$6) or several (arrays).
    /// </summary>
    public string For(bool noStream, bool single) => (noStream, single) switch
    {
        (true, true) => _noStreamOne,
        (true, false) => _noStreamMany,
        (false, true) => _exactOne,
        (false, false) => _exactMany,
    };
}
