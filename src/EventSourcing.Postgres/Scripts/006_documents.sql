-- EventSourcing.Postgres schema, version 6: documents of views.
-- {schema} stands for the quoted, validated schema name.

-- The read models of views (View<TDocument>): JSON documents keyed by (collection, id), written in the
-- transaction of the append (inline views) or of the checkpoint (async views). A rebuild writes the
-- collection '<view>:rebuild' and swaps it in. Ids sort by code point ("C" collation), as lists page.
create table {schema}.documents (
    collection text collate "C" not null,
    id         text collate "C" not null,
    data       jsonb            not null,
    constraint documents_pkey primary key (collection, id)
);
