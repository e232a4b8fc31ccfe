using System.Diagnostics;
using System.Globalization;
using System.Text;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Systems;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>
/// The scaling run (<c>--scaling</c>): two curves, ours vs raw Npgsql vs Marten (default configuration),
/// each point measured with the systems in turns as <see cref="Alternating"/> does (warm-up of real work,
/// then rounds whose order rotates), written to <c>results/scaling-&lt;UTC&gt;.csv</c> for <c>report.py</c>.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item><b>Appends vs writers</b> (1, 2, 4, 8, 16, 32): each writer appends one event to a new stream,
/// again and again, for the slice; events per second of all writers together.</item>
/// <item><b>Global-log read vs log size</b>: the first N events of one seeded log (10k, 100k, 1M; 10M in
/// <c>--full</c>), read in order with every event deserialized: time per event, bytes allocated per read,
/// and the peak of the GC heap and of the working set during the read above where they stood before it
/// (sampled every 5 ms): flat when a read streams, growing with N when it buffers.</item>
/// </list>
/// The log is seeded once per run in its own schemas (<c>*_scale</c>): raw with one binary COPY, ours
/// through its public API in 1,000-event appends (four streams at a time), Marten through its sessions
/// (four at a time), up to <see cref="MartenLogCap"/> events (its points above a cap are missing, not
/// extrapolated). Measured in a quick run on 2 shared cores: 1M events seeded in 9.5 s (raw), 17 s (ours), 27 s (Marten).
/// </remarks>
public static class Scaling
{
    /// <summary>The most events seeded into Marten's log (its larger sizes are not measured).</summary>
    public const int MartenLogCap = 10_000_000;

    private const int EventsPerAccount = 200;

    private sealed record Point(string System, Func<Task<long>> Call);

    /// <summary>Runs both curves and writes the CSV to <paramref name="path"/>.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="mode">Smoke (tiny), quick or full (adds the 10M-event log).</param>
    /// <param name="rounds">Rounds per point.</param>
    /// <returns>A task.</returns>
    public static async Task RunAsync(string path, BenchMode mode, int rounds)
    {
        var smoke = mode == BenchMode.Smoke;
        var writers = smoke ? new[] { 1, 2 } : [1, 2, 4, 8, 16, 32];
        var sizes = smoke ? new[] { 1_000, 2_000 } : mode == BenchMode.Full ? [10_000, 100_000, 1_000_000, 10_000_000] : [10_000, 100_000, 1_000_000];
        var slice = TimeSpan.FromMilliseconds(smoke ? 20 : 1_000);
        var warmup = TimeSpan.FromMilliseconds(smoke ? 20 : 2_000);

        var csv = new StringBuilder("Kind,Size,Round,System,EventsPerSecond,NsPerEvent,CpuMsPerOp,AllocatedBytesPerOp,PeakHeapBytes,PeakWorkingSetBytes\n");
        await AppendsAsync(csv, writers, rounds, slice, warmup);
        await ReadsAsync(csv, sizes, rounds, smoke);
        await File.WriteAllTextAsync(path, csv.ToString());
        Console.WriteLine($"// scaling: wrote {path}");
    }

    private static async Task AppendsAsync(StringBuilder csv, int[] writerCounts, int rounds, TimeSpan slice, TimeSpan warmup)
    {
        var ours = await Fixture.OursWriteAsync();
        var raw = await Fixture.RawWriteAsync();
        var marten = await Fixture.MartenWriteAsync();
        var ids = new StreamIds();
        var @event = EventFactory.Create("acct-new", 1);
        var systems = new (string Name, Func<Task> Append)[]
        {
            ("Ours", async () => await ours.Store.AppendAsync(StreamId.From(ids.Next()), ExpectedVersion.NoStream, [new EventData(@event)])),
            ("RawNpgsql", () => raw.TryAppendAsync(ids.Next(), 1, @event)),
            ("Marten", () => marten.TryAppendAsync(ids.Next(), 1, @event)),
        };

        foreach (var count in writerCounts)
        {
            foreach (var (_, append) in systems)
            {
                await AppendForAsync(append, count, warmup);
            }

            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < systems.Length; i++)
                {
                    var (name, append) = systems[(i + round) % systems.Length];
                    var m = await AppendForAsync(append, count, slice);
                    Row(csv, "Append", count, round, name, m.EventsPerSecond, 1e9 / m.EventsPerSecond, m.CpuMsPerOp, m.AllocatedPerOp, 0, 0);
                    Console.WriteLine($"// scaling append writers={count} round {round} {name}: {m.EventsPerSecond:F0} events/s");
                }
            }
        }
    }

    /// <summary><paramref name="writers"/> tasks appending for about <paramref name="time"/> (at least one append each).</summary>
    private static async Task<(double EventsPerSecond, double CpuMsPerOp, double AllocatedPerOp)> AppendForAsync(Func<Task> append, int writers, TimeSpan time)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var started = Stopwatch.GetTimestamp();
        long appends = 0;
        await Writers.RunAsync(async () =>
        {
            do
            {
                await append();
                Interlocked.Increment(ref appends);
            }
            while (Stopwatch.GetElapsedTime(started) < time);
        }, writers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        process.Refresh();
        return (appends / elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalMilliseconds / appends, (GC.GetTotalAllocatedBytes(precise: false) - allocated) / (double)appends);
    }

    private static async Task ReadsAsync(StringBuilder csv, int[] sizes, int rounds, bool smoke)
    {
        var largest = sizes[^1];
        var accounts = Math.Max(1, largest / EventsPerAccount);
        var ours = await OursSystem.CreateAsync("ours_scale", Fixture.Registry);
        var raw = new RawSystem(Databases.RawDataSource, "raw_scale");
        await raw.CreateSchemaAsync();
        var marten = await MartenSystem.CreateAsync("marten_scale", quickAppend: false);
        var martenAccounts = Math.Min(accounts, MartenLogCap / EventsPerAccount);

        var name = $"scale-{accounts}x{EventsPerAccount}";
        await Seeds.OnceAsync(Databases.RawDataSource, name, () => raw.CopyRowsAsync(
            Enumerable.Range(0, accounts).SelectMany(a => Enumerable.Range(1, EventsPerAccount).Select(v => (Datasets.LogAccount(a), (long)v, EventFactory.Create(Datasets.LogAccount(a), v))))));
        await Seeds.OnceAsync(Databases.OursDataSource, name, () => InParallelAsync(accounts, a => OursSystem.SeedStreamAsync(ours.Store, Datasets.LogAccount(a), EventsPerAccount)));
        await Seeds.OnceAsync(Databases.MartenDataSource, $"scale-{martenAccounts}x{EventsPerAccount}", () => InParallelAsync(martenAccounts, a => Datasets.SeedMartenStreamAsync(marten, Datasets.LogAccount(a), EventsPerAccount)));

        // Seeding and its vacuum leave the new tables' pages dirty (gigabytes at 10M events): written out now,
        // not by the checkpointer during the first rounds (measured without it: the first two 10M-event rounds
        // 1.4-3x slower than the third, for every system).
        await using (var checkpoint = Databases.RawDataSource.CreateCommand("checkpoint"))
        {
            await checkpoint.ExecuteNonQueryAsync();
        }

        foreach (var size in sizes)
        {
            var points = new List<Point>
            {
                new("Ours", async () =>
                {
                    long count = 0;
                    await foreach (var e in ours.Store.ReadAllAsync(GlobalPosition.Start, size))
                    {
                        count += e.StreamVersion > 0 ? 1 : 0;
                    }

                    return count;
                }),
                new("RawNpgsql", () => raw.ReadAllAsync(size)),
            };
            if (size <= martenAccounts * EventsPerAccount)
            {
                points.Add(new("Marten", () => marten.ReadAllAsync(size)));
            }

            // Warm-up: one read each (the first read of a size also checks the count).
            foreach (var p in points)
            {
                var read = await p.Call();
                if (read != size)
                {
                    throw new InvalidOperationException($"{p.System} read {read} events of the {size}-event log prefix.");
                }
            }

            // Small reads repeat within a slice; a read of 1M events or more is one call per round.
            var slice = TimeSpan.FromMilliseconds(smoke ? 10 : size >= 1_000_000 ? 0 : 1_000);
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < points.Count; i++)
                {
                    var p = points[(i + round) % points.Count];
                    var m = await ReadForAsync(p.Call, slice);
                    var perSecond = m.Events / m.Elapsed.TotalSeconds;
                    Row(csv, "ReadAll", size, round, p.System, perSecond, 1e9 / perSecond, m.CpuMsPerRead, m.AllocatedPerRead, m.PeakHeap, m.PeakWorkingSet);
                    Console.WriteLine($"// scaling read size={size} round {round} {p.System}: {1e9 / perSecond:F0} ns/event, {m.AllocatedPerRead / size:F0} B/event allocated, peak heap +{m.PeakHeap / 1048576.0:F1} MiB, working set +{m.PeakWorkingSet / 1048576.0:F1} MiB");
                }
            }
        }
    }

    /// <summary>
    /// Reads (at least once) for about <paramref name="time"/>, sampling the GC heap and working set every
    /// 5 ms from another thread; the peaks are above where they stood before the first read (after a full collection).
    /// </summary>
    private static async Task<(long Events, TimeSpan Elapsed, double CpuMsPerRead, double AllocatedPerRead, long PeakHeap, long PeakWorkingSet)> ReadForAsync(Func<Task<long>> read, TimeSpan time)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: false);
        var workingSetBefore = Environment.WorkingSet;
        long peakHeap = heapBefore, peakWorkingSet = workingSetBefore;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
                peakWorkingSet = Math.Max(peakWorkingSet, Environment.WorkingSet);
                try
                {
                    await Task.Delay(5, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });

        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        long events = 0;
        var reads = 0;
        do
        {
            events += await read();
            reads++;
        }
        while (Stopwatch.GetElapsedTime(started) < time);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var allocatedPerRead = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)reads;
        process.Refresh();
        var cpuPerRead = (process.TotalProcessorTime - cpu).TotalMilliseconds / reads;
        await stop.CancelAsync();
        await sampler;
        return (events, elapsed, cpuPerRead, allocatedPerRead, peakHeap - heapBefore, peakWorkingSet - workingSetBefore);
    }

    /// <summary>Runs <paramref name="seed"/> for 0…<paramref name="count"/>-1, four at a time.</summary>
    private static Task InParallelAsync(int count, Func<int, Task> seed) =>
        Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (a, _) => await seed(a));

    private static void Row(StringBuilder csv, string kind, int size, int round, string system, double perSecond, double nsPerEvent, double cpuMs, double allocated, long peakHeap, long peakWorkingSet) =>
        csv.Append(CultureInfo.InvariantCulture, $"{kind},{size},{round},{system},{perSecond:F1},{nsPerEvent:F1},{cpuMs:F3},{allocated:F0},{peakHeap},{peakWorkingSet}\n");
}
