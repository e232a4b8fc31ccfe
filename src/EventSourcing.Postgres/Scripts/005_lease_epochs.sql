-- EventSourcing.Postgres schema, version 5: lease epochs, the fence of projection units of work.
-- {schema} stands for the quoted, validated schema name.

-- Every acquisition of a lease counts its row's epoch up (rows are no longer deleted on release, only
-- expired, so an epoch never goes back). A projection's unit of work checks, just before it commits,
-- that its lease row still has its holder and epoch, and keeps the row share-locked until it commits:
-- a takeover (which updates the row) waits for it, and a stale holder, whose epoch is no longer the
-- row's, cannot commit, however its checks and the takeover interleave.
alter table {schema}.projection_leases add column epoch bigint not null default 0;
