-- Server-side cost of one single-event append, each system's own statement (ours: the fast path's NoStream
-- statement, FastPathSql; raw: its INSERT), 3,000 times in one transaction that rolls back: no commit, no fsync,
-- no client, plans cached (static SQL in plpgsql). Prints microseconds and WAL bytes per append. Run with psql
-- against a benchmark server while --alternate --only AppendOneEvent runs (it creates ours_w and raw_w).
\c esbench_ours
do $$ declare l0 pg_lsn; t0 timestamptz; n int := 3000; sid text; d json := '{"accountId":"acct-000001","amount":12.34,"at":"2026-12-02T10:00:00+00:00","reference":"ref-0000001"}'; ts timestamptz := now(); begin
 l0 := pg_current_wal_insert_lsn(); t0 := clock_timestamp();
 for i in 1..n loop
   sid := 'bsrv2-' || i || '-' || txid_current();
   with w as (insert into ours_w.streams (stream_id, version, created_at, updated_at, last_tx_id) values (sid, 1, ts, ts, ours_w.log_tx_id()) on conflict (stream_id) do nothing returning 0::bigint as base, updated_at as at)
   insert into ours_w.events (stream_id, version, event_id, event_type, data, metadata, created_at) select sid, w.base + 1, gen_random_uuid(), 'MoneyDeposited', d, null, w.at from w;
 end loop;
 raise notice 'ours fast path (plan cached), 1 event: % us/append, % WAL bytes/append', round(extract(epoch from clock_timestamp()-t0)*1e6/n, 1), pg_wal_lsn_diff(pg_current_wal_insert_lsn(), l0)/n;
 l0 := pg_current_wal_insert_lsn(); t0 := clock_timestamp();
 for i in 1..n loop
   sid := 'bsrv3-' || i || '-' || txid_current();
   insert into ours_w.events (stream_id, version, event_id, event_type, data, metadata, created_at) values (sid, 1, gen_random_uuid(), 'MoneyDeposited', d, null, ts);
 end loop;
 raise notice 'ours events table alone (same INSERT as raw, no streams row): % us/append, % WAL bytes/append', round(extract(epoch from clock_timestamp()-t0)*1e6/n, 1), pg_wal_lsn_diff(pg_current_wal_insert_lsn(), l0)/n;
 raise exception 'rollback';
exception when raise_exception then null; end $$;
\c esbench_raw
do $$ declare l0 pg_lsn; t0 timestamptz; n int := 3000; sid text; d json := '{"accountId":"acct-000001","amount":12.34,"at":"2026-12-02T10:00:00+00:00","reference":"ref-0000001"}'; begin
 l0 := pg_current_wal_insert_lsn(); t0 := clock_timestamp();
 for i in 1..n loop
   sid := 'bsrv2-' || i || '-' || txid_current();
   insert into raw_w.events (stream_id, version, event_id, event_type, data) values (sid, 1, gen_random_uuid(), 'MoneyDeposited', d);
 end loop;
 raise notice 'raw INSERT (plan cached), 1 event: % us/append, % WAL bytes/append', round(extract(epoch from clock_timestamp()-t0)*1e6/n, 1), pg_wal_lsn_diff(pg_current_wal_insert_lsn(), l0)/n;
 raise exception 'rollback';
exception when raise_exception then null; end $$;
