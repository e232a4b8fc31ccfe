#!/bin/bash
# Server-side append throughput (pgbench, a C client, so the client's cost is negligible), the statements in
# turns, the order rotating each round, so drift hits them alike. Usage (against a benchmark server that ran
# --alternate --only AppendOneEvent, so that ours_w and raw_w exist; both schemas must be in one database,
# e.g. create database scratch template esbench_ours, then create raw_w.events there as RawSystem does):
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres ./run.sh scratch 8 5 6 append-fastpath.sql append-events-only.sql append-raw.sql
#   database, clients, seconds per turn, rounds, scripts...
# Prints "round script tps". With 1 client the rate is the commit's fsync (noise on a shared disk).
db=$1; c=$2; t=$3; n=$4; shift 4; s=("$@"); k=${#s[@]}
here=$(dirname "$0")
for ((r = 0; r < n; r++)); do
  for ((i = 0; i < k; i++)); do
    f=${s[$(( (i + r) % k ))]}
    tps=$(pgbench -n -M prepared -c "$c" -j $(( c < 2 ? c : 2 )) -T "$t" -f "$here/$f" "$db" 2>/dev/null | grep -oP 'tps = \K[0-9.]+' | head -1)
    echo "$r $f $tps"
  done
done
