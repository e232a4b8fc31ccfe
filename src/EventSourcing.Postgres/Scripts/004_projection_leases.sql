-- EventSourcing.Postgres schema, version 4: projection leases as rows.
-- {schema} stands for the quoted, validated schema name.

-- Which instance runs an async projection: a holder id and an expiry by the server's clock, renewed
-- while held, deleted when released. Rows need no session (unlike advisory locks), so a lease holds
-- through a transaction-mode pooler; a holder that dies loses it when it expires. The lease only avoids
-- duplicate work: the checkpoint fence keeps two holders from both committing.
create table {schema}.projection_leases (
    name       text        not null,
    holder     uuid        not null,
    expires_at timestamptz not null,
    constraint projection_leases_pkey primary key (name)
);
