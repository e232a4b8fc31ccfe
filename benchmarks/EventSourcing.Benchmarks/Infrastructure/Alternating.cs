using System.Diagnostics;
using System.Globalization;
using System.Text;
using EventSourcing.Benchmarks.Scenarios;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>
/// The alternating run (<c>--alternate</c>): for each scenario, ours, raw Npgsql and Marten take turns
/// (the order rotates every round) in short slices of real work, after a warm-up of several seconds of
/// real work each, so drift of the machine (other processes on the shared cores, a fresh schema's
/// first seconds) hits every system alike. Each round gives one ratio per pair of neighbours in time;
/// <c>report.py</c> reports their median and spread from <c>alternating*.csv</c>.
/// </summary>
/// <remarks>
/// BenchmarkDotNet runs one case after another: minutes apart on a loaded machine, which is where the
/// 0.52–1.11 swings of single ratios came from. This loop trades its statistics for adjacency.
/// </remarks>
public static class Alternating
{
    /// <summary>One system's operation in a scenario: its setup and one call (worth <c>Ops</c> operations).</summary>
    internal sealed record Case(string System, Func<Task> Setup, Func<Task> Call, int Ops, Action? Enter = null);

    private sealed record Scenario(string Name, bool Writes, Case[] Cases);

    /// <summary>Runs every scenario and writes <c>alternating.csv</c> (scenario, round, system, ops/s) to <paramref name="path"/>.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="rounds">Rounds per scenario.</param>
    /// <param name="slice">Work per system per round.</param>
    /// <param name="writeWarmup">Warm-up of each system in a write scenario (reads get a fifth of it).</param>
    /// <returns>A task.</returns>
    /// <param name="only">Runs only the scenarios whose name contains it; all when null.</param>
    public static async Task RunAsync(string path, int rounds, TimeSpan slice, TimeSpan writeWarmup, string? only = null)
    {
        var csv = new StringBuilder("Scenario,Round,System,OpsPerSecond,CpuMsPerOp,AllocatedBytesPerOp\n");
        foreach (var scenario in Scenarios())
        {
            if (only is not null && !scenario.Name.Contains(only, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var c in scenario.Cases)
            {
                await c.Setup();
            }

            var warmup = scenario.Writes ? writeWarmup : writeWarmup / 5;
            foreach (var c in scenario.Cases)
            {
                await RunForAsync(c, warmup);
            }

            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < scenario.Cases.Length; i++)
                {
                    var c = scenario.Cases[(i + round) % scenario.Cases.Length];
                    var (rate, cpu, allocated) = await RunForAsync(c, slice);
                    csv.Append(CultureInfo.InvariantCulture, $"{scenario.Name},{round},{c.System},{rate:F1},{cpu:F3},{allocated:F0}\n");
                    Console.WriteLine($"// alternate {scenario.Name} round {round} {c.System}: {rate:F1} ops/s, {cpu:F3} ms CPU/op (this process), {allocated:N0} B allocated/op");
                }
            }
        }

        await File.WriteAllTextAsync(path, csv.ToString());
    }

    /// <summary>
    /// Calls <paramref name="c"/> for about <paramref name="time"/> (at least twice): operations per second,
    /// and per operation this process's CPU time (all its threads: less sensitive to other processes on the
    /// machine than the wall clock, though it includes the runtime's background work) and allocated bytes.
    /// </summary>
    internal static async Task<(double Rate, double CpuMsPerOp, double AllocatedPerOp)> RunForAsync(Case c, TimeSpan time)
    {
        c.Enter?.Invoke();
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var started = Stopwatch.GetTimestamp();
        long ops = 0;
        var calls = 0;
        while (calls < 2 || Stopwatch.GetElapsedTime(started) < time)
        {
            await c.Call();
            ops += c.Ops;
            calls++;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        process.Refresh();
        return (ops / elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalMilliseconds / ops, (GC.GetTotalAllocatedBytes(precise: false) - allocated) / (double)ops);
    }

    private static IEnumerable<Scenario> Scenarios()
    {
        // Rebuilds of the balance read model over the global log; one operation = one event, so the
        // rates are events/s. Ours = the document view through the daemon with default options.
        var rebuild = new RebuildProjectionBenchmarks();
        var daemon = new RebuildWithDaemonBenchmarks();
        var events = BenchSettings.GlobalLogEvents;
        yield return new Scenario("Rebuild", false, [
            new("Ours", daemon.SetupOursAsync, async () => Datasets.CheckLogCount(await daemon.Ours()), events),
            new("OursHandwritten", daemon.SetupHandwrittenAsync, async () => Datasets.CheckLogCount(await daemon.OursHandwritten()), events),
            new("OursReadPath", rebuild.SetupOursAsync, async () => Datasets.CheckLogCount(await rebuild.Ours()), events),
            new("RawNpgsql", rebuild.SetupRawAsync, async () => Datasets.CheckLogCount(await rebuild.RawNpgsql()), events),
            new("Marten", rebuild.SetupMartenAsync, () => rebuild.Marten(), events),
        ]);

        var one = new AppendOneEventBenchmarks();
        yield return new Scenario("AppendOneEvent", true, [
            new("Ours", one.SetupOursAsync, async () => await one.Ours(), 1),
            new("RawNpgsql", one.SetupRawAsync, () => one.RawNpgsql(), 1),
            new("Marten", one.SetupMartenAsync, () => one.Marten(), 1),
        ]);

        var eight = new AppendConcurrentBenchmarks();
        yield return new Scenario("AppendConcurrent", true, [
            new("Ours", eight.SetupOursAsync, () => eight.Ours(), AppendConcurrentBenchmarks.Operations),
            new("RawNpgsql", eight.SetupRawAsync, () => eight.RawNpgsql(), AppendConcurrentBenchmarks.Operations),
            new("Marten", eight.SetupMartenAsync, () => eight.Marten(), AppendConcurrentBenchmarks.Operations),
        ]);

        var batch = new AppendBatchBenchmarks();
        yield return new Scenario("AppendBatch", true, [
            new("Ours", batch.SetupOursAsync, async () => await batch.Ours(), 1),
            new("RawNpgsql", batch.SetupRawAsync, () => batch.RawNpgsqlCopy(), 1),
            new("Marten", batch.SetupMartenAsync, () => batch.Marten(), 1),
        ]);

        // The long-stream load whose single BenchmarkDotNet ratio swung between 0.52 and 1.11: measured
        // next to raw, its spread says whether the swing is the machine or our (time-adaptive) paging.
        var longLoad = new LoadAggregateBenchmarks { Events = BenchSettings.IsSmoke ? 1_000 : 100_000 };
        yield return new Scenario("Load100k", false, [
            new("Ours", longLoad.SetupOursAsync, () => longLoad.Ours(), 1),
            new("RawNpgsql", longLoad.SetupRawAsync, () => longLoad.RawNpgsql(), 1),
        ]);

        // The read schema must hold many streams, as a real store does (Datasets.EnsureReadFillerAsync,
        // which the setups call): with only the snapshot streams in the events table PostgreSQL's
        // statistics say "stream_id = $1" matches a large part of the table and raw's and Marten's
        // statements turn into sequential scans (measured: raw 2-4x slower at the head than with a tail;
        // Marten's FetchLatest 19.7 ms at the head).
        // RawEnvelope: raw reading the columns of our envelope too (event id, timestamp, position,
        // metadata). Our tail rows are ~225 bytes, raw's ~155: 50 of raw's fit in PostgreSQL's 8 KB output
        // buffer, ours take two flushes, and the server spends 0.075 ms on our statement against 0.026 ms
        // on raw's (pg_stat_statements; raw with our columns: 0.073 ms). Ours/RawEnvelope is the
        // library's own cost; RawEnvelope/RawNpgsql the cost of returning envelopes.
        foreach (var tail in new[] { 0, BenchSettings.SnapshotTail })
        {
            var snap = new SnapshotLoadBenchmarks { Tail = tail };
            yield return new Scenario(tail == 0 ? "SnapshotHead" : "SnapshotTail50", false, [
                new("Ours", snap.SetupOursAsync, () => snap.Ours(), 1),
                new("RawNpgsql", snap.SetupRawAsync, () => snap.RawNpgsql(), 1),
                new("Marten", snap.SetupMartenAsync, () => snap.Marten(), 1),
                new("RawEnvelope", snap.SetupRawAsync, () => snap.RawEnvelope(), 1),
            ]);
        }

        // Issue 12: the same operation with nobody listening and with a listener recording everything,
        // the listener switched on and off between slices.
        foreach (var scenario in TelemetryOverheadBenchmarks.AlternatingScenarios())
        {
            var (name, setup, call, ops, bench) = scenario;
            yield return new Scenario(name, name.Contains("Append", StringComparison.Ordinal), [
                new("NoListener", setup, call, ops, () => bench.SetListening(false)),
                new("Listener", () => Task.CompletedTask, call, ops, () => bench.SetListening(true)),
            ]);
        }
    }
}
