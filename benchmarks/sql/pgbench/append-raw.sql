-- pgbench script (see run.sh): raw's INSERT (RawSystem) on its table (2 indexes, no streams table).
\set r random(1, 9000000000000000000)
insert into raw_w.events (stream_id, version, event_id, event_type, data) values ('pgb-' || :r, 1, gen_random_uuid(), 'MoneyDeposited', '{"accountId":"acct-000001","amount":12.34,"at":"2026-12-02T10:00:00+00:00","reference":"ref-0000001"}'::json);
