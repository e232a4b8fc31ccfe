-- EventSourcing.Postgres schema, version 2: dead letters of async projections.
-- {schema} stands for the quoted, validated schema name.

-- Events a projection gave up on (ProjectionFailurePolicy.DeadLetter), written in the same transaction
-- that moves its checkpoint past them.
create table {schema}.dead_letters (
    id          bigint      not null generated always as identity,
    projection  text        not null,
    event_id    uuid        not null,
    stream_id   text        not null,
    version     bigint      not null,
    tx_id       xid8        not null,
    position    bigint      not null,
    error       text        not null,
    created_at  timestamptz not null,
    constraint dead_letters_pkey primary key (id)
);
create index dead_letters_projection on {schema}.dead_letters (projection, id);
