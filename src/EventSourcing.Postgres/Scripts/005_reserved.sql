-- EventSourcing.Postgres schema, version 5: reserved on the documents branch for the runtime branch's
-- 005 script (lease epochs). Delete this file when that script is merged.
select 1;
