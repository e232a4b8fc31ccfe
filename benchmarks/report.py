#!/usr/bin/env python3
"""Regenerates benchmarks/results/summary.md and benchmarks/results/load-vs-length.svg from the
BenchmarkDotNet CSV reports in benchmarks/results/ (standard library only).

    python3 benchmarks/report.py [results-dir]

Ratio conventions (issue 7):
  * ours/raw is a throughput ratio: raw time / our time (1.0 = as fast as raw Npgsql, higher is better);
  * "x faster than Marten" is Marten's time / our time.
Every figure in summary.md comes from the CSVs; nothing is typed by hand.
"""

import csv
import math
import os
import re
import sys
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results")

PARAM_COLUMNS = ("Events", "Length", "Backend", "Snapshots", "Tail", "Writers", "LogSize")


def number(text):
    text = (text or "").strip().replace(",", "")
    if text in ("", "NA", "-", "?"):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def load():
    """{(class, method, params): {"mean": ns, "alloc": bytes}} from every *-report.csv."""
    rows = {}
    for name in sorted(os.listdir(RESULTS)):
        if not name.endswith("-report.csv"):
            continue
        cls = name[: -len("-report.csv")].split(".")[-1]
        with open(os.path.join(RESULTS, name), newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                params = tuple((p, row[p]) for p in PARAM_COLUMNS if p in row)
                # The median of the measured iterations: one iteration disturbed by another process on
                # these shared cores moves it far less than the mean. The mean when there is no median.
                median = number(row.get("Median [ns]"))
                rows[(cls, row["Method"], params)] = {
                    "mean": median if median is not None else number(row.get("Mean [ns]")),
                    "alloc": number(row.get("Allocated [B]")),
                }
    return rows


def side_csv(name):
    path = os.path.join(RESULTS, name)
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def environment():
    return table_file("environment.md")


def table_file(name):
    """The rows of a two-column markdown table file in results/ (e.g. environment-*.md) as a dict."""
    table = {}
    path = os.path.join(RESULTS, name)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"^\| (.+?) \| (.+) \|$", line.strip())
                if m:
                    table[m.group(1)] = m.group(2)
    return table


def median(values):
    """The median of the numbers, or None when there are none."""
    values = sorted(values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def fmt_time(ns):
    if ns is None:
        return "n/a"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}" if ns / scale < 100 else f"{ns / scale:.0f} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(per_second):
    if per_second is None:
        return "n/a"
    if per_second >= 1e6:
        return f"{per_second / 1e6:.2f} M/s"
    if per_second >= 1e3:
        return f"{per_second / 1e3:.1f} k/s"
    return f"{per_second:.0f}/s"


def fmt_ratio(r, suffix="", digits=2):
    return "n/a" if r is None else f"{r:.{digits}f}{suffix}"


def verdict(value, target, higher_is_better=True):
    if value is None:
        return "NOT RUN"
    ok = value >= target if higher_is_better else value <= target
    return "PASS" if ok else "**MISS**"


def ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


# Scenario rows of the main table:
# (label, class, params, our method ("Class.Method" when it lives in another class), raw method,
#  raw target, Marten target, note)
SCENARIOS = [
    ("Append 1 event to a new stream, 1 writer", "AppendOneEventBenchmarks", (), "Ours", "RawNpgsql", 0.85, 2.0, "per append"),
    ("Append 1 event to a new stream, 8 writers", "AppendConcurrentBenchmarks", (), "Ours", "RawNpgsql", 0.85, 2.0, "per append; 8 × 16 per invocation"),
    ("Append 1,000 events in one call", "AppendBatchBenchmarks", (), "Ours", "RawNpgsqlCopy", 0.67, 2.0, "raw = binary COPY"),
    ("8 writers contending on one stream", "ContentionBenchmarks", (), "Ours", "RawNpgsql", None, None, "per successful append"),
    ("Load aggregate, 10,000 events", "LoadAggregateBenchmarks", (("Events", "10000"),), "Ours", "RawNpgsql", 0.77, 3.5, "no snapshot"),
    ("Load aggregate, 100,000 events", "LoadAggregateBenchmarks", (("Events", "100000"),), "Ours", "RawNpgsql", 0.77, None, "no snapshot"),
    ("Load from a snapshot at the stream's head", "SnapshotLoadBenchmarks", (("Tail", "0"),), "Ours", "RawNpgsql", 0.9, 1.5,
     "AggregateRepository.LoadAsync; raw = one SELECT; Marten = FetchLatest"),
    ("Load from snapshot + 50-event tail", "SnapshotLoadBenchmarks", (("Tail", "50"),), "Ours", "RawNpgsql", 0.9, 1.0, "10,000-event stream"),
    ("Read the global log (200,000 events)", "GlobalLogBenchmarks", (), "Ours", "RawNpgsql", 0.77, 2.5, ""),
    ("Rebuild balance projection (200,000 events)", "RebuildProjectionBenchmarks", (), "RebuildWithDaemonBenchmarks.Ours", "RawNpgsql",
     0.67, 4.0, "ours = a View<T> rebuilt by the Core ProjectionDaemon.RebuildAsync, default options; raw = read all + batched upsert"),
    ("Rebuild, hand-written IProjection", "RebuildProjectionBenchmarks", (), "RebuildWithDaemonBenchmarks.OursHandwritten", "RawNpgsql", None, None,
     "the low-level seam: own SQL table, one unnest upsert per batch"),
    ("Rebuild through the store's read path", "RebuildProjectionBenchmarks", (), "Ours", "RawNpgsql", None, None,
     "ours = ReadAllAsync + raw's fold and batched upsert"),
]


def main():
    rows = load()
    env = environment()

    def mean(cls, method, params=()):
        row = rows.get((cls, method, tuple(params)))
        return row["mean"] if row else None

    def alloc(cls, method, params=()):
        row = rows.get((cls, method, tuple(params)))
        return row["alloc"] if row else None

    out = []
    w = out.append
    w("# Benchmark summary")
    w("")
    w(f"Generated by `benchmarks/report.py` from the BenchmarkDotNet CSVs in this folder "
      f"({datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M')} UTC); do not edit by hand.")
    w("")
    w(f"Run: **{env.get('mode', '?').split(' ')[0]}** mode, {env.get('started (UTC)', '?')} UTC, commit {env.get('git commit', '?')}; "
      f"{env.get('CPU', '?')}, {env.get('logical cores', '?')} cores; {env.get('.NET', '?')}; Npgsql {env.get('Npgsql', '?')}; "
      f"Marten {env.get('Marten', '?')}; {env.get('PostgreSQL', '?').split(' on ')[0]} "
      f"(fsync={env.get('pg: fsync', '?')}, synchronous_commit={env.get('pg: synchronous_commit', '?')}), "
      f"on the same 2 cores. Details: [environment.md](environment.md).")
    w("")
    w("> **Noise.** Client, PostgreSQL and other engineers' builds and test databases share 2 cores and one disk; "
      "absolute times move by ±30% and more between runs, and so do ratios whose two sides ran minutes apart "
      "(appends are the most exposed: they wait on fsync, which other databases on the disk also issue). "
      "A quick-mode run has only 3 measured iterations per case: read a ratio within ~15% of its target as "
      "neither a firm PASS nor a firm MISS, and compare several runs before concluding.")
    w("")
    w("Ratios: **ours/raw** = raw Npgsql time ÷ our time (throughput ratio; 1.00 = the physical limit); "
      "**× Marten** = Marten (default configuration) time ÷ our time. Times are per operation: the median of the measured iterations (BenchmarkDotNet's Median column).")
    w("")
    w("| Scenario | In-memory | Ours (Postgres) | Ours (SQLite) | Raw Npgsql | Marten | Marten Quick | ours/raw | target | | × Marten | target | |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|")
    for label, cls, params, ours_method, raw_method, raw_target, marten_target, note in SCENARIOS:
        ours = mean(*ours_method.split("."), params) if "." in ours_method else mean(cls, ours_method, params)
        raw = mean(cls, raw_method, params)
        marten = mean(cls, "Marten", params)
        quick = mean(cls, "MartenQuick", params)
        memory = mean(cls, "InMemory", params)
        sqlite = mean(cls, "Sqlite", params)
        if all(v is None for v in (ours, raw, marten, quick, memory, sqlite)):
            continue
        vs_raw = ratio(raw, ours)
        vs_marten = ratio(marten, ours)
        raw_cells = (f"≥ {raw_target:.2f}", verdict(vs_raw, raw_target)) if raw_target else ("—", "")
        marten_cells = (f"≥ {marten_target:g}×", verdict(vs_marten, marten_target)) if marten_target else ("—", "")
        w(f"| {label}{' (' + note + ')' if note else ''} | {fmt_time(memory) if memory is not None else '—'} | {fmt_time(ours)} | "
          f"{fmt_time(sqlite) if sqlite is not None else '—'} | "
          f"{fmt_time(raw)} | {fmt_time(marten)} | {fmt_time(quick) if quick is not None else '—'} | "
          f"{fmt_ratio(vs_raw)} | {raw_cells[0]} | {raw_cells[1]} | {fmt_ratio(vs_marten, '×')} | {marten_cells[0]} | {marten_cells[1]} |")
    w("")

    alternating(w)
    latency(w)
    telemetry_overhead(w)

    # Contention: throughput of successful appends and conflicts.
    conflicts = {r["Method"]: r for r in side_csv("contention-conflicts.csv")}
    if any(mean("ContentionBenchmarks", m) for m in ("Ours", "RawNpgsql")):
        w("### 8 writers contending on one stream (read version → append expecting it → retry on conflict)")
        w("")
        w("| System | successful appends/s | conflicts per successful append |")
        w("|---|---:|---:|")
        for method, label in (("InMemory", "In-memory"), ("Ours", "Ours (Postgres)"), ("RawNpgsql", "Raw Npgsql (unique violation)"),
                              ("Marten", "Marten"), ("MartenQuick", "Marten Quick")):
            t = mean("ContentionBenchmarks", method)
            if t is None:
                continue
            c = conflicts.get(method, {}).get("ConflictsPerSuccess", "n/a")
            w(f"| {label} | {fmt_rate(1e9 / t)} | {c} |")
        w("")

    # The other issues' targets.
    w("### Targets of the other issues")
    w("")
    w("| Issue | Target | Measured | |")
    w("|---|---|---:|---|")

    def line(issue, target, measured, status):
        w(f"| {issue} | {target} | {measured} | {status} |")

    append_rate = ratio(1e9, mean("InMemoryTargetBenchmarks", "AppendInBatchesOf100"))
    replay_rate = ratio(1e9, mean("InMemoryTargetBenchmarks", "ReplayIntoAggregate"))
    line("#2 in-memory", "≥ 1,000,000 appended events/s (batches of 100)", fmt_rate(append_rate), verdict(append_rate, 1e6))
    line("#2 in-memory", "≥ 5,000,000 replayed events/s into an aggregate", fmt_rate(replay_rate), verdict(replay_rate, 5e6))

    def time_ratio(cls, params=(), raw_method="RawNpgsql"):
        return ratio(mean(cls, "Ours", params), mean(cls, raw_method, params))

    r = time_ratio("AppendOneEventBenchmarks")
    line("#3 Postgres", "1 event to a new stream ≤ 1.15× raw INSERT time", fmt_ratio(r, "×", 3), verdict(r, 1.15, False))
    r = time_ratio("AppendBatchBenchmarks", raw_method="RawNpgsqlCopy")
    line("#3 Postgres", "1,000-event batch ≤ 1.5× raw binary COPY time", fmt_ratio(r, "×", 3), verdict(r, 1.5, False))
    r = ratio(mean("AppendConcurrentBenchmarks", "RawNpgsql"), mean("AppendConcurrentBenchmarks", "Ours"))
    line("#3 Postgres", "8 writers ≥ 0.85× raw throughput", fmt_ratio(r, "×", 3), verdict(r, 0.85))
    r = time_ratio("LoadAggregateBenchmarks", (("Events", "10000"),))
    line("#3 Postgres", "load a 10,000-event stream ≤ 1.3× raw read + deserialize + apply", fmt_ratio(r, "×", 3), verdict(r, 1.3, False))
    r = time_ratio("GlobalLogBenchmarks")
    line("#3 Postgres", "read 200,000 events of the global log ≤ 1.3× raw", fmt_ratio(r, "×", 3), verdict(r, 1.3, False))
    rebuild_events = 200_000
    daemon = mean("RebuildWithDaemonBenchmarks", "Ours")
    read_path = mean("RebuildProjectionBenchmarks", "Ours")
    raw_rebuild = mean("RebuildProjectionBenchmarks", "RawNpgsql")
    marten_rebuild = mean("RebuildProjectionBenchmarks", "Marten")

    def events_per_second(t):
        return f"{fmt_rate(rebuild_events * 1e9 / t)} events" if t else "n/a"

    r = ratio(daemon, raw_rebuild)
    line("#4 projections", f"rebuild (Core projection daemon) over 200,000 events ≤ 1.5× raw time; ours {events_per_second(daemon)}, "
         f"raw {events_per_second(raw_rebuild)}, Marten {events_per_second(marten_rebuild)}", fmt_ratio(r, "×", 3), verdict(r, 1.5, False))
    r = ratio(read_path, raw_rebuild)
    line("#4 projections", f"the same rebuild through ReadAllAsync + batched upsert ≤ 1.5× raw; {events_per_second(read_path)}",
         fmt_ratio(r, "×", 3), verdict(r, 1.5, False))
    r = ratio(marten_rebuild, daemon)
    line("#4 projections", "rebuild (projection daemon) vs Marten's daemon rebuild ≥ 4× faster", fmt_ratio(r, "×", 3), verdict(r, 4.0))

    load_alloc = alloc("LoadAggregateBenchmarks", "Ours", (("Events", "10000"),))
    objects_alloc = alloc("LoadAggregateBenchmarks", "EventObjectsOnly", (("Events", "10000"),))
    r = ratio(load_alloc, objects_alloc)
    line("#7 allocations", "loading 10,000 events allocates ≤ 1.5× the event objects' bytes"
         + (f" ({load_alloc / 1e6:.2f} MB vs {objects_alloc / 1e6:.2f} MB)" if r else ""), fmt_ratio(r, "×", 3), verdict(r, 1.5, False))

    def curve(backend, length, snapshots):
        return mean("LoadCurveBenchmarks", "Load", (("Length", str(length)), ("Backend", backend), ("Snapshots", str(snapshots))))

    for backend, label in (("InMemory", "in-memory"), ("Postgres", "Postgres")):
        big, small = curve(backend, 100000, True), curve(backend, 100, True)
        r = ratio(big, small)
        line("#5 snapshots", f"{label}: with snapshots, 100,000 events ≤ 2× the 100-event load", fmt_ratio(r, "×", 3), verdict(r, 2.0, False))
        big, mid = curve(backend, 100000, False), curve(backend, 10000, False)
        r = ratio(big, mid)
        status = "NOT RUN" if r is None else ("PASS" if 5 <= r <= 15 else "**MISS**")
        line("#5 snapshots", f"{label}: without snapshots cost grows linearly (100,000 vs 10,000 events: 5–15×, 10× = linear)", fmt_ratio(r, "×", 3), status)
    per_event = ratio(curve("InMemory", 100000, False), 100000)
    line("#5 snapshots", "in-memory replay cost per event ≤ 100 ns (100,000-event load)", "n/a" if per_event is None else f"{per_event:.0f} ns",
         verdict(per_event, 100, False))
    w("")

    # The load-vs-length table and chart.
    lengths = sorted({int(dict(k[2]).get("Length", 0)) for k in rows if k[0] == "LoadCurveBenchmarks"})
    if lengths:
        w("### Aggregate load time vs stream length (snapshots every 100 events)")
        w("")
        w("![Load time vs stream length](load-vs-length.svg)")
        w("")
        w("| Events | In-memory | In-memory + snapshots | Postgres | Postgres + snapshots |")
        w("|---:|---:|---:|---:|---:|")
        for n in lengths:
            w(f"| {n:,} | {fmt_time(curve('InMemory', n, False))} | {fmt_time(curve('InMemory', n, True))} | "
              f"{fmt_time(curve('Postgres', n, False))} | {fmt_time(curve('Postgres', n, True))} |")
        w("")
        chart(lengths, curve)

    scaling(w)

    w("Full BenchmarkDotNet reports: the `*-report-github.md` files in this folder.")
    with open(os.path.join(RESULTS, "summary.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {os.path.join(RESULTS, 'summary.md')}")


# Alternating runs (--alternate): (scenario, label, raw target, Marten target).
ALTERNATING = [
    ("AppendOneEvent", "Append 1 event to a new stream, 1 writer", 0.9, None),
    ("AppendConcurrent", "Append 1 event to a new stream, 8 writers", 0.9, None),
    ("AppendBatch", "Append 1,000 events in one call (raw = binary COPY)", 0.9, None),
    ("Load100k", "Load a 100,000-event aggregate (no snapshot)", 0.85, None),
    ("SnapshotHead", "Load from a snapshot at the stream's head", 0.9, 1.5),
    ("SnapshotTail50", "Load from snapshot + 50-event tail", 0.9, None),
    ("Rebuild", "Rebuild the balance read model (200,000 events; ours = View<T> through the daemon, default options)", 0.67, 4.0),
]


def latency(w):
    """Commit → applied in an async projection (`--latency`), from the newest results/latency-*.csv."""
    files = sorted(n for n in os.listdir(RESULTS) if n.startswith("latency-") and n.endswith(".csv"))
    if not files:
        return
    rows = side_csv(files[-1])
    w("### Live latency: commit → applied in an async projection")
    w("")
    w(f"`--latency` ({files[-1]}): 8 writers append single events (each opens a new stream) in an open loop at a "
      "fixed total rate, after a warm-up; per event, from the append call's return to the commit of the projection "
      "batch that applied it. Ours: a `View<T>` in the projection daemon with library defaults (LISTEN/NOTIFY "
      "wake-up), applied = `WaitForPositionAsync` returned; Marten: its async daemon with its defaults, applied = "
      "a 2 ms poll of `mt_event_progression` shows the event's sequence.")
    w("")
    w("| System | appends/s | events | p50 | p99 | max |")
    w("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        def ms(key):
            v = number(r.get(key))
            return "n/a" if v is None or math.isnan(v) else f"{v:,.1f} ms"
        count = f"{int(number(r['Count']) or 0):,}"
        if r.get("Appended") and r["Appended"] != r["Count"]:
            count += f" of {int(number(r['Appended']) or 0):,} (rest not applied within 30 s)"
        w(f"| {r['System']} | {int(number(r['RatePerSecond']) or 0):,} | {count} | {ms('P50Ms')} | {ms('P99Ms')} | {ms('MaxMs')} |")
    w("")


def alternating(w):
    """Ratios from the alternating runs: one per round (systems measured next to each other in time),
    pooled over every results/alternating-*.csv (one file per run); median, spread and a verdict that
    says "within noise" when the spread straddles the target."""
    files = sorted(n for n in os.listdir(RESULTS) if n.startswith("alternating-") and n.endswith(".csv"))
    if not files:
        return
    # Rows of a run measured with a since-changed baseline: listed (with the reason) in superseded-alternating.csv.
    # Only the runs still pooled are listed (runs moved to results/archive/ are not read at all).
    superseded = {(r["File"], r["Scenario"]): r["Reason"] for r in side_csv("superseded-alternating.csv") if r["File"] in files}
    per_round = {}  # (scenario, run, round) -> {system: ops/s}
    for run, name in enumerate(files):
        for row in side_csv(name):
            if (name, row["Scenario"]) in superseded:
                continue
            key = (row["Scenario"], run, row["Round"])
            per_round.setdefault(key, {})[row["System"]] = number(row["OpsPerSecond"])
    env = table_file("environment-alternating.md")

    def stats(values):
        values = sorted(v for v in values if v is not None)
        if not values:
            return None
        return median(values), values[0], values[-1], len(values)

    def cell(st, target):
        if st is None:
            return ("n/a", "NOT RUN") if target is not None else ("—", "")
        median, low, high, n = st
        text = f"{median:.2f} ({low:.2f}–{high:.2f}, n={n})"
        if target is None:
            return text, ""
        if low >= target:
            return text, "PASS"
        if high < target:
            return text, "**MISS**"
        return text, "within noise"

    w("### Alternating runs (ours, raw and Marten in turns)")
    w("")
    w(f"`--alternate`: after {'a warm-up of several seconds of real work per system'}, the systems take turns in "
      "1-second slices of real work, the order rotating every round; each round gives one ratio of neighbours in time. "
      f"Runs pooled: {len(files)} ({', '.join(files)}; runs of older code or a loaded machine are kept in results/archive/ and not pooled). Load average (1, 5, 15 min) of the last run: {env.get('load average at start', '?')} at its start, {env.get('load average at end', '?')} at its end. "
      "Cells: median (min–max, n = rounds × runs) of the per-round throughput ratio; a target inside the spread is "
      "**within noise**, neither PASS nor MISS.")
    w("")
    if superseded:
        w("Left out (superseded-alternating.csv): " + "; ".join(sorted({f"{s} of {f}" for f, s in superseded})) + ". Reason: "
          + "; ".join(sorted(set(superseded.values()))) + ".")
        w("")
    w("| Scenario | ours/raw | target | | ours/Marten | target | |")
    w("|---|---:|---:|---|---:|---:|---|")
    for scenario, label, raw_target, marten_target in ALTERNATING:
        rounds = [v for k, v in per_round.items() if k[0] == scenario]
        if not rounds:
            continue
        vs_raw = stats([ratio(r.get("Ours"), r.get("RawNpgsql")) for r in rounds])
        vs_marten = stats([ratio(r.get("Ours"), r.get("Marten")) for r in rounds])
        a, av = cell(vs_raw, raw_target)
        b, bv = cell(vs_marten, marten_target)
        w(f"| {label} | {a} | {'≥ %.2f' % raw_target if raw_target else '—'} | {av} | {b} | "
          f"{'≥ %g×' % marten_target if marten_target else '—'} | {bv} |")
    w("")
    # Snapshot scenarios also run raw reading every column of our envelope (RawEnvelope): the gap to raw split
    # into the library's own cost (ours/RawEnvelope) and the envelope's bytes and columns (RawEnvelope/raw).
    split = []
    for scenario, label, _, _ in ALTERNATING:
        rounds = [v for k, v in per_round.items() if k[0] == scenario and v.get("RawEnvelope")]
        if rounds:
            own = stats([ratio(r.get("Ours"), r.get("RawEnvelope")) for r in rounds])
            envelope = stats([ratio(r.get("RawEnvelope"), r.get("RawNpgsql")) for r in rounds])
            split.append(f"| {label} | {cell(own, None)[0]} | {cell(envelope, None)[0]} |")
    if split:
        w("Where the snapshot loads' gap to raw goes: raw reading also every column of our envelope (event id, timestamp, "
          "position, metadata; `RawEnvelope`) next to ours and plain raw in the same rounds.")
        w("")
        w("| Scenario | ours / raw with envelope columns | raw with envelope columns / raw |")
        w("|---|---:|---:|")
        for line in split:
            w(line)
        w("")


def chart(lengths, curve):
    """A log-log line chart of load time against stream length, as a standalone SVG."""
    series = [
        ("Postgres", False, "Postgres, full replay", "#d62728", ""),
        ("Postgres", True, "Postgres, snapshots every 100", "#d62728", "6,4"),
        ("InMemory", False, "In-memory, full replay", "#1f77b4", ""),
        ("InMemory", True, "In-memory, snapshots every 100", "#1f77b4", "6,4"),
    ]
    line_chart("load-vs-length.svg", "Aggregate load time vs stream length", lengths,
               [(label, colour, dash, [(n, curve(backend, n, snaps)) for n in lengths]) for backend, snaps, label, colour, dash in series],
               "events in the stream (log scale)", "median load time (log scale)", fmt_time, lambda n: f"{n:,}", right=270)


def line_chart(name, title, xs, series, xlabel, ylabel, yfmt, xfmt, right=200):
    """A log-log line chart as a standalone SVG in results/: series = [(label, colour, dash, [(x, value)])]."""
    values = [v for *_, pts in series for _, v in pts if v]
    if not values:
        return
    width, height, left, top, bottom = 760, 440, 80, 40, 60
    x0, x1 = math.log10(min(xs)), math.log10(max(xs))
    y0, y1 = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1

    def px(n):
        return left + (math.log10(n) - x0) / (x1 - x0) * (width - left - right)

    def py(v):
        return height - bottom - (math.log10(v) - y0) / (y1 - y0) * (height - top - bottom)

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="22" font-size="15" font-weight="bold">{title}</text>']
    for e in range(int(y0), int(y1) + 1):
        y = py(10 ** e)
        svg.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{yfmt(10 ** e)}</text>')
    for n in xs:
        x = px(n)
        svg.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" stroke="#eee"/>')
        svg.append(f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle">{xfmt(n)}</text>')
    svg.append(f'<text x="{(left + width - right) / 2:.1f}" y="{height - 18}" text-anchor="middle">{xlabel}</text>')
    svg.append(f'<text x="18" y="{(top + height - bottom) / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 18 {(top + height - bottom) / 2:.1f})">{ylabel}</text>')
    svg.append(f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" fill="none" stroke="#999"/>')
    for i, (label, colour, dash, pts) in enumerate(series):
        pts = [(px(n), py(v)) for n, v in pts if v]
        if not pts:
            continue
        dash = f' stroke-dasharray="{dash}"' if dash else ""
        svg.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        for x, y in pts:
            svg.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        ly = top + 10 + i * 22
        lx = width - right + 16
        svg.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 28}" y2="{ly}" stroke="{colour}" stroke-width="2"{dash}/>')
        svg.append(f'<text x="{lx + 34}" y="{ly + 4}">{label}</text>')
    svg.append("</svg>")
    with open(os.path.join(RESULTS, name), "w", encoding="utf-8") as f:
        f.write("\n".join(svg) + "\n")

# Scaling runs (--scaling): systems, their labels and colours, as drawn.
SCALING_SYSTEMS = [("Ours", "Ours (Postgres)", "#d62728"), ("RawNpgsql", "Raw Npgsql", "#7f7f7f"), ("Marten", "Marten (default)", "#1f77b4")]


def scaling(w):
    """The scaling curves of the newest results/scaling-*.csv: append throughput vs writers and global-log
    read vs log size (median over the rounds), as two SVG charts and small tables."""
    files = sorted(n for n in os.listdir(RESULTS) if n.startswith("scaling-") and n.endswith(".csv"))
    if not files:
        return
    rows = side_csv(files[-1])

    def point(kind, size, system, column):
        return median([number(r[column]) for r in rows
                       if r["Kind"] == kind and int(r["Size"]) == size and r["System"] == system and number(r[column]) is not None])

    def sizes(kind):
        return sorted({int(r["Size"]) for r in rows if r["Kind"] == kind})

    env = table_file("environment-scaling.md")

    w("### Scaling: appends vs writers, global-log reads vs log size")
    w("")
    flag = "--full" if env.get("mode", "").startswith("Full") else "--quick"
    w(f"`{flag} --scaling` ({files[-1]}; load average at start {env.get('load average at start', '?')}, at end {env.get('load average at end', '?')}): "
      "the systems take turns at each point (a warm-up of real work, then rounds of 1-second slices, the order rotating); "
      "cells are the median over the rounds. Marten is its default configuration.")
    w("")
    writers = sizes("Append")
    if writers:
        w("![Append throughput vs writers](append-scaling.svg)")
        w("")
        w("| Writers | " + " | ".join(label for _, label, _ in SCALING_SYSTEMS) + " | ours/raw |")
        w("|---:|" + "---:|" * (len(SCALING_SYSTEMS) + 1))
        for n in writers:
            cells = [point("Append", n, s, "EventsPerSecond") for s, _, _ in SCALING_SYSTEMS]
            r = ratio(cells[0], cells[1])
            w(f"| {n} | " + " | ".join(fmt_rate(c) if c else "—" for c in cells) + f" | {fmt_ratio(r)} |")
        w("")
        scaling_chart("append-scaling.svg", "Append throughput vs concurrent writers (1 event per append, new streams)",
                      writers, lambda n, s: point("Append", n, s, "EventsPerSecond"), "concurrent writers (log scale)",
                      "events appended per second (log scale)", fmt_rate, lambda n: str(n))
    logs = sizes("ReadAll")
    if logs:
        w("![Global-log read vs log size](read-scaling.svg)")
        w("")
        w("Each read takes the first N events of one seeded log, in order, every event deserialized. "
          "Memory: bytes allocated per event read, and the peak of the GC heap during the read above where it stood before "
          "(sampled every 5 ms): flat as N grows when the read streams.")
        w("")
        w("| Events | " + " | ".join(f"{label}: time/event" for _, label, _ in SCALING_SYSTEMS)
          + " | " + " | ".join(f"{label}: B/event, peak heap" for _, label, _ in SCALING_SYSTEMS) + " |")
        w("|---:|" + "---:|" * (2 * len(SCALING_SYSTEMS)))
        for n in logs:
            times = [point("ReadAll", n, s, "NsPerEvent") for s, _, _ in SCALING_SYSTEMS]
            mem = []
            for s, _, _ in SCALING_SYSTEMS:
                allocated, heap = point("ReadAll", n, s, "AllocatedBytesPerOp"), point("ReadAll", n, s, "PeakHeapBytes")
                mem.append("—" if allocated is None else f"{allocated / n:,.0f} B, +{heap / 1048576:.1f} MiB")
            w(f"| {n:,} | " + " | ".join(fmt_time(t) if t else "— (not seeded)" for t in times) + " | " + " | ".join(mem) + " |")
        w("")
        scaling_chart("read-scaling.svg", "Global-log read: time per event vs events read",
                      logs, lambda n, s: point("ReadAll", n, s, "NsPerEvent"), "events read (log scale)",
                      "time per event (log scale)", fmt_time, lambda n: f"{n:,}")


def scaling_chart(name, title, xs, value, xlabel, ylabel, yfmt, xfmt):
    """One line per system of SCALING_SYSTEMS, in the style of load-vs-length.svg."""
    line_chart(name, title, xs, [(label, colour, "", [(x, value(x, s)) for x in xs]) for s, label, colour in SCALING_SYSTEMS],
               xlabel, ylabel, yfmt, xfmt)

TELEMETRY = (("InMemoryAppend", "In-memory append (1 event)"), ("InMemoryLoad", "In-memory load (1,000 events)"),
             ("PostgresAppend", "PostgreSQL append (1 event)"), ("PostgresLoad", "PostgreSQL load (1,000 events)"))


def telemetry_overhead(w):
    """Issue 12: append and load with nobody listening vs a listener recording everything: the
    TelemetryOverheadBenchmarks CSV and the Telemetry* scenarios of the alternating runs."""
    pct = lambda v: "n/a" if v is None else f"{v * 100:.1f}%"
    path = os.path.join(RESULTS, "TelemetryOverheadBenchmarks-report.csv")
    times = {}
    if os.path.exists(path):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                t = number(row.get("Median [ns]"))
                times[(row["Method"], row.get("Listening", "").strip().lower())] = t if t is not None else number(row.get("Mean [ns]"))
    wall, cpu = {}, {}  # operation -> [listener overhead of one round]
    for name in sorted(n for n in os.listdir(RESULTS) if n.startswith("alternating-") and n.endswith(".csv")):
        per_round = {}
        for row in side_csv(name):
            if row["Scenario"].startswith("Telemetry"):
                per_round.setdefault((row["Scenario"], row["Round"]), {})[row["System"]] = row
        for (scenario, _), systems in per_round.items():
            off, on = systems.get("NoListener"), systems.get("Listener")
            if off is None or on is None:
                continue
            operation = scenario[len("Telemetry"):]
            r = ratio(number(off["OpsPerSecond"]), number(on["OpsPerSecond"]))
            if r is not None:
                wall.setdefault(operation, []).append(r - 1)
            r = ratio(number(on.get("CpuMsPerOp")), number(off.get("CpuMsPerOp")))
            if r is not None:
                cpu.setdefault(operation, []).append(r - 1)
    if not times and not wall:
        return
    guard = times.get(("NoListenerGuard", "false"))

    def spread(values):
        values = sorted(values or [])
        return (f"{pct(median(values))} ({pct(values[0])}–{pct(values[-1])}, n={len(values)})", values) if values else ("—", values)

    w("### Telemetry overhead (issue 12)")
    w("")
    w("Each operation with nobody listening and with a listener that samples every activity (all tags) and records "
      "every measurement. **With none**: what instrumentation leaves on the path while nobody listens is the guard "
      f"(`NoListenerGuard`, {fmt_time(guard)}: `StoreInstruments.IsObserved` plus the metadata's trace check), as a share of "
      "the operation's no-listener time. **With one**: listener time ÷ no-listener time − 1, from BenchmarkDotNet and from "
      "the alternating runs (`--alternate --only Telemetry`: the listener switched on and off between 1-second slices of one "
      "process; median, min–max over rounds, by wall clock and by this process's CPU time). A target is met (PASS) when every round of one clock is at or below it, missed when every round of either clock is above it, within noise otherwise.")
    w("")
    w("| Operation | No listener | Listener | with none (guard share) | ≤ 2% | with one | alternating (wall) | alternating (CPU) | ≤ 10% |")
    w("|---|---:|---:|---:|---|---:|---:|---:|---|")
    for method, label in TELEMETRY:
        off, on = times.get((method, "false")), times.get((method, "true"))
        wall_text, wall_values = spread(wall.get(method))
        cpu_text, cpu_values = spread(cpu.get(method))
        if off is None and on is None and not wall_values:
            continue
        none_share = ratio(guard, off)
        one = None if ratio(on, off) is None else ratio(on, off) - 1
        # MISS when every round of either clock is above the target; PASS when every round of one is at or below it.
        measured = [v for v in (wall_values, cpu_values) if v]
        with_one = (verdict(one, 0.10, False) if not measured
                    else "**MISS**" if any(v[0] > 0.10 for v in measured)
                    else "PASS" if any(v[-1] <= 0.10 for v in measured) else "within noise")
        w(f"| {label} | {fmt_time(off)} | {fmt_time(on)} | {pct(none_share)} | {verdict(none_share, 0.02, False)} | "
          f"{pct(one)} | {wall_text} | {cpu_text} | {with_one} |")
    w("")


def update_readme():
    """Copies summary.md into the repository README between its BENCHMARKS markers (links re-rooted)."""
    readme = os.path.join(os.path.dirname(os.path.dirname(RESULTS)), "README.md")
    begin, end = "<!-- BENCHMARKS:BEGIN (generated by benchmarks/report.py) -->", "<!-- BENCHMARKS:END -->"
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    if begin not in text or end not in text:
        print("README.md has no BENCHMARKS markers; left alone")
        return
    with open(os.path.join(RESULTS, "summary.md"), encoding="utf-8") as f:
        body = f.read().split("\n", 1)[1].strip()  # drop the H1
    body = body.replace("# ", "### ", 0)
    body = re.sub(r"\]\((?!https?:)([^)]+)\)", lambda m: f"](benchmarks/results/{m.group(1)})", body)
    body = body.replace("\n### ", "\n#### ")
    start, stop = text.index(begin) + len(begin), text.index(end)
    with open(readme, "w", encoding="utf-8") as f:
        f.write(text[:start] + "\n" + body + "\n" + text[stop:])
    print(f"updated {readme}")


if __name__ == "__main__":
    main()
    update_readme()
