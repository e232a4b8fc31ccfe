-- Server-side cost of one single-event append, each system's own statement (ours: the fast path's NoStream
-- statement, FastPathSql; raw: its INSERT), 3,000 times per round in one transaction that rolls back: no
-- commit, no fsync, no client, plans cached (static SQL in plpgsql). Prints microseconds and WAL bytes per
-- append for each round; the variants take turns within a round (order alternating between rounds), so drift
-- of a shared machine hits them alike: compare them round by round. Run with psql against a benchmark server
-- while, or after, --alternate --only AppendOneEvent runs (it creates ours_w and raw_w).
--   ours fast path          the statement FastPathSql sends: a plain insert of the stream row (NoStream)
--   ours, on conflict       the same with "on conflict (stream_id) do nothing" (the statement until
--                           2026-12-02): a speculative insertion, i.e. an index probe before the insert and
--                           a confirmation record after it
--   ours events table alone the events INSERT without the stream row (what the streams row costs)
-- Raw's INSERT runs in its own database, after ours.
\c esbench_ours
do $$ declare l0 pg_lsn; t0 timestamptz; n int := 3000; sid text; d json := '{"accountId":"acct-000001","amount":12.34,"at":"2026-12-02T10:00:00+00:00","reference":"ref-0000001"}'; ts timestamptz := now(); v int; begin
 for r in 1..4 loop
 for k in 0..2 loop
 v := (k + r) % 3;
 l0 := pg_current_wal_insert_lsn(); t0 := clock_timestamp();
 if v = 0 then
   for i in 1..n loop
     sid := 'bsrv1-' || r || '-' || i || '-' || txid_current();
     with w as (insert into ours_w.streams (stream_id, version, created_at, updated_at, last_tx_id) values (sid, 1, ts, ts, ours_w.log_tx_id()) returning 0::bigint as base, updated_at as at)
     insert into ours_w.events (stream_id, version, event_id, event_type, data, metadata, created_at) select sid, w.base + 1, gen_random_uuid(), 'MoneyDeposited', d, null, w.at from w;
   end loop;
   raise notice 'round % ours fast path (plain insert of the stream row): % us/append, % WAL bytes/append', r, round(extract(epoch from clock_timestamp()-t0)*1e6/n, 1), round(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), l0)/n);
 elsif v = 1 then
   for i in 1..n loop
     sid := 'bsrv2-' || r || '-' || i || '-' || txid_current();
     with w as (insert into ours_w.streams (stream_id, version, created_at, updated_at, last_tx_id) values (sid, 1, ts, ts, ours_w.log_tx_id()) on conflict (stream_id) do nothing returning 0::bigint as base, updated_at as at)
     insert into ours_w.events (stream_id, version, event_id, event_type, data, metadata, created_at) select sid, w.base + 1, gen_random_uuid(), 'MoneyDeposited', d, null, w.at from w;
   end loop;
   raise notice 'round % ours, on conflict do nothing:             % us/append, % WAL bytes/append', r, round(extract(epoch from clock_timestamp()-t0)*1e6/n, 1), round(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), l0)/n);
 else
   for i in 1..n loop
     sid := 'bsrv3-' || r || '-' || i || '-' || txid_current();
     insert into ours_w.events (stream_id, version, event_id, event_type, data, metadata, created_at) values (sid, 1, gen_random_uuid(), 'MoneyDeposited', d, null, ts);
   end loop;
   raise notice 'round % ours events table alone (no stream row):   % us/append, % WAL bytes/append', r, round(extract(epoch from clock_timestamp()-t0)*1e6/n, 1), round(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), l0)/n);
 end if;
 end loop;
 end loop;
 raise exception 'rollback';
exception when raise_exception then null; end $$;
\c esbench_raw
do $$ declare l0 pg_lsn; t0 timestamptz; n int := 3000; sid text; d json := '{"accountId":"acct-000001","amount":12.34,"at":"2026-12-02T10:00:00+00:00","reference":"ref-0000001"}'; begin
 for r in 1..4 loop
 l0 := pg_current_wal_insert_lsn(); t0 := clock_timestamp();
 for i in 1..n loop
   sid := 'bsrv2-' || r || '-' || i || '-' || txid_current();
   insert into raw_w.events (stream_id, version, event_id, event_type, data) values (sid, 1, gen_random_uuid(), 'MoneyDeposited', d);
 end loop;
 raise notice 'round % raw INSERT:                                % us/append, % WAL bytes/append', r, round(extract(epoch from clock_timestamp()-t0)*1e6/n, 1), round(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), l0)/n);
 end loop;
 raise exception 'rollback';
exception when raise_exception then null; end $$;
