-- EventSourcing.Postgres schema, version 3: the append's guarantees kept by the database.
-- {schema} stands for the quoted, validated schema name.
--  * per stream, global-log order = version order, for every write path (streams.last_tx_id);
--  * an event id is stored at most once per stream (events_stream_event_id; distributable by stream_id);
--  * timestamps never go backwards within a stream (the stream row's updated_at is its last event's);
--  * log positions survive a restore into a cluster with a lower transaction counter (log_offset()).

-- The log's transaction ids are the server's plus an offset: 0, unless the schema was restored or moved
-- into a cluster whose transaction counter is lower than the ids already stored, in which case
-- align_log() raises it so that new ids sort after every stored one. An immutable SQL function, so the
-- planner folds it (and prepared plans are invalidated when align_log() replaces it).
create function {schema}.log_offset() returns numeric
language sql immutable parallel safe
as $fn$ select 0::numeric $fn$;

-- The current transaction's id in the log (assigns the server's id if it has none yet).
create function {schema}.log_tx_id() returns xid8
language sql volatile
as $fn$
    select case when {schema}.log_offset() = 0 then pg_current_xact_id()
                else (pg_current_xact_id()::text::numeric + {schema}.log_offset())::text::xid8 end
$fn$;

-- The gap-safe horizon of global-log readers, in log ids: every transaction below it has ended.
create function {schema}.log_horizon() returns xid8
language sql stable
as $fn$
    select case when {schema}.log_offset() = 0 then pg_snapshot_xmin(pg_current_snapshot())
                else (pg_snapshot_xmin(pg_current_snapshot())::text::numeric + {schema}.log_offset())::text::xid8 end
$fn$;

alter table {schema}.events alter column tx_id set default {schema}.log_tx_id();

-- Every change of the offset, for the audit trail.
create table {schema}.log_offsets (
    tx_offset   numeric     not null,
    log_head    xid8        not null,
    server_next xid8        not null,
    set_at      timestamptz not null default now()
);

-- Raises the offset when the newest stored log id is not below the next id the server will assign (the
-- database was restored or moved into another cluster). Returns the new offset, or null when nothing
-- had to change. Run by the schema initializer at start-up, under its advisory lock, before any append.
create function {schema}.align_log() returns numeric
language plpgsql
set search_path = {schema}, pg_temp
as $fn$
declare
    v_head   xid8;
    v_next   numeric;
    v_offset numeric;
begin
    select e.tx_id into v_head from events as e order by e.tx_id desc limit 1;
    v_next := pg_snapshot_xmax(pg_current_snapshot())::text::numeric + log_offset();
    if v_head is null or v_head::text::numeric < v_next then
        return null;
    end if;

    v_offset := log_offset() + (v_head::text::numeric - v_next) + 1;
    execute format('create or replace function {schema}.log_offset() returns numeric language sql immutable parallel safe as $body$ select %s::numeric $body$', v_offset);
    insert into log_offsets (tx_offset, log_head, server_next) values (v_offset, v_head, pg_snapshot_xmax(pg_current_snapshot()));
    return v_offset;
end
$fn$;
revoke execute on function {schema}.align_log() from public;

-- The log id of the stream's last writer: an append whose transaction has an older id would put the
-- stream's new events before its old ones in the global log, so it is refused (ES503, retried by the
-- store in a new transaction). Null on rows written before version 3 (nothing to compare with).
alter table {schema}.streams add column last_tx_id xid8;

-- An event id is stored at most once per stream. Includes stream_id, so the table stays distributable.
create unique index events_stream_event_id on {schema}.events (stream_id, event_id);

-- Appends events to one stream in one call (one round trip, one implicit transaction).
-- p_expected: -1 Any, -2 StreamExists, 0 NoStream, n >= 1 exactly n.
-- Returns the stream's new version and the last event's (tx_id, global_position); out_already is
-- always false (kept for the signature): a batch whose ids are already stored is reported as
-- ES422 (failed expectation) or 23505 on events_stream_event_id (on insert), and the store decides
-- between "already appended" and a duplicate id from the stored rows.
-- ES409: the expectation does not hold; the stream's actual version is a bare number in HINT (Npgsql
-- redacts DETAIL unless 'Include Error Detail' is set; HINT always reaches the client).
-- ES503: the transaction's log id is older than the stream's last writer's; nothing was written and a
-- new transaction will succeed.
create or replace function {schema}.append(
    p_stream_id  text,
    p_expected   bigint,
    p_ids        uuid[],
    p_types      text[],
    p_data       json[],
    p_metadata   json[],
    p_created_at timestamptz)
returns table (out_version bigint, out_tx_id xid8, out_position bigint, out_already boolean)
language plpgsql
set search_path = {schema}, pg_temp
as $fn$
declare
    v_count   bigint := cardinality(p_ids);
    v_tx      xid8;
    v_current bigint;
    v_last_tx xid8;
    v_at      timestamptz;
    v_base    bigint;
begin
    if v_count is null or v_count = 0 then
        raise exception using errcode = '22023', message = 'an append needs at least one event';
    end if;

    -- Writers through this function queue on a transaction-level advisory lock per stream first. Waiting
    -- for it takes no transaction id, whereas waiting for a row lock can (following the row's update
    -- chain does): so the id taken below is newer than the last writer's, and no append is refused
    -- for being older than one that got the row first. (Two-key form: never collides with the
    -- single-key locks of migrations and leases.)
    perform pg_advisory_xact_lock(hashtext('{schema}.streams'), hashtext(p_stream_id));

    loop
        select s.version, s.last_tx_id, s.updated_at into v_current, v_last_tx, v_at
        from streams as s where s.stream_id = p_stream_id for update;
        if found then
            exit;
        end if;

        v_current := 0;
        if p_expected = -2 or p_expected > 0 then
            exit;
        end if;

        insert into streams as s (stream_id, version, created_at, updated_at, last_tx_id)
        values (p_stream_id, v_count, p_created_at, p_created_at, log_tx_id())
        on conflict (stream_id) do nothing
        returning 0 into v_base;
        if v_base is not null then
            v_at := p_created_at;
            exit;
        end if;

        -- Nothing inserted: another writer created the stream and committed meanwhile. The speculative
        -- insert gave this transaction an id older than that writer's, and others may lock the row before
        -- this one does: a new transaction finds the row and takes its id only once it holds the lock.
        raise exception using
            errcode = 'ES503',
            message = format('stream %s was created by a concurrent transaction; retry in a new transaction', p_stream_id);
    end loop;

    -- The transaction's log id. Taken once the stream's row is locked (a row lock is waited for without
    -- one), so it is newer than the last writer's, unless this transaction had one before: a caller's
    -- transaction, or a race to create the stream that this one lost after its speculative insert.
    v_tx := log_tx_id();

    if v_base is null then
        if not (p_expected = -1 or (p_expected = -2 and v_current > 0) or p_expected = v_current) then
            if exists (select 1 from events as e where e.stream_id = p_stream_id and e.event_id = any(p_ids)) then
                raise exception using
                    errcode = 'ES422',
                    message = format('event ids of the append to stream %s are already stored', p_stream_id);
            end if;

            raise exception using
                errcode = 'ES409',
                message = format('wrong expected version on stream %s: expected %s, actual %s', p_stream_id, p_expected, v_current),
                hint = v_current::text;
        end if;

        if v_last_tx > v_tx then
            raise exception using
                errcode = 'ES503',
                message = format('stream %s was last written by a newer transaction (%s) than this one (%s); retry in a new transaction', p_stream_id, v_last_tx, v_tx);
        end if;

        v_at := greatest(v_at, p_created_at);
        update streams as s set version = v_current + v_count, updated_at = v_at, last_tx_id = v_tx
        where s.stream_id = p_stream_id;
        v_base := v_current;
    end if;

    return query
    with inserted as (
        insert into events (stream_id, version, event_id, event_type, data, metadata, created_at)
        select p_stream_id, v_base + e.ord, e.id, e.event_type, e.data, e.metadata, v_at
        from unnest(p_ids, p_types, p_data, p_metadata) with ordinality as e(id, event_type, data, metadata, ord)
        order by e.ord
        returning events.global_position)
    select v_base + v_count, v_tx, max(i.global_position), false
    from inserted as i;
end
$fn$;
