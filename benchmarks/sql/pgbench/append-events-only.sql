-- pgbench script (see run.sh): ours' events row alone (no stream row): what the stream row costs.
\set r random(1, 9000000000000000000)
insert into ours_w.events (stream_id, version, event_id, event_type, data, metadata, created_at) values ('pgb-' || :r, 1, gen_random_uuid(), 'MoneyDeposited', '{"accountId":"acct-000001","amount":12.34,"at":"2026-12-02T10:00:00+00:00","reference":"ref-0000001"}'::json, null, now()) returning tx_id, global_position;
