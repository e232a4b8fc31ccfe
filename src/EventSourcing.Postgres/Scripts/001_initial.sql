-- EventSourcing.Postgres schema, version 1. {schema} stands for the quoted, validated schema name.
-- Forward-only: once released, this file never changes (its checksum is recorded in schema_version);
-- later changes go in 002_*.sql and up.

-- One row per stream: its version is the per-stream lock of the append function. Only `version` and
-- `updated_at` change, neither indexed, so with fillfactor 80 the updates stay HOT.
create table {schema}.streams (
    stream_id   text        not null,
    version     bigint      not null,
    state       smallint    not null default 0,
    created_at  timestamptz not null,
    updated_at  timestamptz not null,
    constraint streams_pkey primary key (stream_id)
) with (fillfactor = 80);

-- Insert-only. (tx_id, global_position) is the gap-safe global order: readers take only rows with
-- tx_id below the oldest transaction still running (pg_snapshot_xmin), so a transaction that commits
-- late can never appear behind a reader's position.
create table {schema}.events (
    stream_id       text        not null,
    version         bigint      not null,
    event_id        uuid        not null,
    event_type      text        not null,
    data            json        not null,
    metadata        json,
    created_at      timestamptz not null,
    tx_id           xid8        not null default pg_current_xact_id(),
    global_position bigint      not null generated always as identity,
    constraint events_pkey primary key (stream_id, version)
);
create index events_feed on {schema}.events (tx_id, global_position);

-- Events are immutable: the owner is stopped by these triggers, the application role by its grants.
create function {schema}.events_are_immutable() returns trigger
language plpgsql
set search_path = {schema}, pg_temp
as $fn$
begin
    raise exception using
        errcode = 'ES403',
        message = format('events are immutable: %s on %I.%I is not allowed', tg_op, tg_table_schema, tg_table_name);
end
$fn$;

create trigger events_no_update_or_delete
    before update or delete on {schema}.events
    for each row execute function {schema}.events_are_immutable();

create trigger events_no_truncate
    before truncate on {schema}.events
    for each statement execute function {schema}.events_are_immutable();

-- The newest snapshot per stream.
create table {schema}.snapshots (
    stream_id      text        not null,
    version        bigint      not null,
    state_type     text        not null,
    schema_version integer     not null,
    data           bytea       not null,
    created_at     timestamptz not null,
    constraint snapshots_pkey primary key (stream_id)
);
create index snapshots_state_type on {schema}.snapshots (state_type);

-- Positions of global-log readers; moved only by a fenced update (where position = the old one).
create table {schema}.checkpoints (
    name       text        not null,
    tx_id      xid8        not null,
    position   bigint      not null,
    updated_at timestamptz not null default now(),
    constraint checkpoints_pkey primary key (name)
);

-- Appends events to one stream in one call (one round trip, one implicit transaction).
-- p_expected: -1 Any, -2 StreamExists, 0 NoStream, n >= 1 exactly n.
-- Returns the stream's new version and the last event's (tx_id, global_position); out_already is true
-- when the same event ids are already stored at those versions (an idempotent retry), in which case
-- nothing is written and the stored position is returned.
-- A failed expectation raises SQLSTATE ES409 with the stream's actual version as a bare number in
-- HINT (Npgsql redacts DETAIL unless 'Include Error Detail' is set; HINT always reaches the client).
create function {schema}.append(
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
    v_current bigint;
    v_base    bigint;
    v_first   bigint;
begin
    if v_count is null or v_count = 0 then
        raise exception using errcode = '22023', message = 'an append needs at least one event';
    end if;

    if p_expected >= 0 then
        -- Exact version (0 = NoStream): a conditional write on the streams row. A concurrent writer
        -- holds the row lock; once it commits, the predicate is re-checked and fails here.
        if p_expected = 0 then
            insert into streams as s (stream_id, version, created_at, updated_at)
            values (p_stream_id, v_count, p_created_at, p_created_at)
            on conflict (stream_id) do nothing
            returning 0 into v_base;
        else
            update streams as s set version = s.version + v_count, updated_at = p_created_at
            where s.stream_id = p_stream_id and s.version = p_expected
            returning p_expected into v_base;
        end if;

        if v_base is null then
            select s.version into v_current from streams as s where s.stream_id = p_stream_id;
            v_current := coalesce(v_current, 0);
            v_first := p_expected;
        end if;
    else
        -- Any / StreamExists: lock the row, then check for an idempotent retry, then write.
        loop
            select s.version into v_current from streams as s where s.stream_id = p_stream_id for update;
            if found then
                -- Cheap test first (the last id), the whole batch only when it matches.
                if v_current >= v_count
                   and (select e.event_id from events as e where e.stream_id = p_stream_id and e.version = v_current) = p_ids[v_count] then
                    if (select array_agg(e.event_id order by e.version) from events as e
                        where e.stream_id = p_stream_id and e.version > v_current - v_count) = p_ids then
                        v_first := v_current - v_count;
                        exit;
                    end if;
                end if;
                update streams as s set version = v_current + v_count, updated_at = p_created_at
                where s.stream_id = p_stream_id;
                v_base := v_current;
                exit;
            end if;

            if p_expected = -2 then
                v_current := 0;
                exit;
            end if;

            insert into streams as s (stream_id, version, created_at, updated_at)
            values (p_stream_id, v_count, p_created_at, p_created_at)
            on conflict (stream_id) do nothing
            returning 0 into v_base;
            -- Nothing inserted: another writer created the stream meanwhile; lock its row and go again.
            exit when v_base is not null;
        end loop;
    end if;

    if v_base is null then
        -- Not written. An idempotent retry when versions v_first+1 .. v_first+n hold exactly these ids.
        if v_first is not null and v_first >= 0 and v_current >= v_first + v_count
           and (select array_agg(e.event_id order by e.version) from events as e
                where e.stream_id = p_stream_id and e.version > v_first and e.version <= v_first + v_count) = p_ids then
            return query
                select e.version, e.tx_id, e.global_position, true
                from events as e
                where e.stream_id = p_stream_id and e.version = v_first + v_count;
            return;
        end if;

        raise exception using
            errcode = 'ES409',
            message = format('wrong expected version on stream %s: expected %s, actual %s', p_stream_id, p_expected, v_current),
            hint = v_current::text;
    end if;

    return query
    with inserted as (
        insert into events (stream_id, version, event_id, event_type, data, metadata, created_at)
        select p_stream_id, v_base + e.ord, e.id, e.event_type, e.data, e.metadata, p_created_at
        from unnest(p_ids, p_types, p_data, p_metadata) with ordinality as e(id, event_type, data, metadata, ord)
        order by e.ord
        returning events.tx_id, events.global_position)
    select v_base + v_count, max(i.tx_id), max(i.global_position), false
    from inserted as i;
end
$fn$;
