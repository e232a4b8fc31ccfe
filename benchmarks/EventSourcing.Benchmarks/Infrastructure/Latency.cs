using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Systems;
using Npgsql;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>
/// The live-latency run (<c>--latency</c>): 8 writers append single events (each opens a new account
/// stream) in an open loop at a fixed total rate, and for every event the time from the append call's
/// return (t0) to the moment the async projection's batch holding it has COMMITTED (t1) is recorded:
/// ours = <see cref="BalanceView"/> in our daemon with every library default (LISTEN/NOTIFY wake-up),
/// t1 when <c>ProjectionDaemon.WaitForPositionAsync</c> for the append's position returns (the daemon
/// signals it right after the commit); Marten = its balance projection in its async daemon with its
/// defaults, t1 when a 2 ms poll of its <c>mt_event_progression</c> row (written in the projection's
/// transaction) first shows the event's sequence (so Marten's figures carry up to ~2 ms of polling). The
/// daemon's own rows (<c>HighWaterMark</c>, and <c>HighWaterAllocationFence</c>, which moves only now and then)
/// are not projections: counting the fence made every Marten event look applied only after the writers stopped.
/// Each system gets a warm-up at the first rate (not recorded), then each rate in turn.
/// </summary>
public static class Latency
{
    /// <summary>Concurrent writers.</summary>
    public const int Writers = 8;

    private sealed record Sample(string System, int Rate, double[] Millis, int Appended);

    /// <summary>Runs ours then Marten at each rate and writes the CSV (System, RatePerSecond, Count, P50Ms, P99Ms, MaxMs, Appended).</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="rates">Total appends per second, in turn.</param>
    /// <param name="warmup">Warm-up per system (at the first rate).</param>
    /// <param name="duration">Recorded time per rate.</param>
    /// <returns>A task.</returns>
    public static async Task RunAsync(string path, int[] rates, TimeSpan warmup, TimeSpan duration)
    {
        var samples = new List<Sample>();
        await using (var ours = OursViewSystem.Create("ours_lat"))
        {
            await ours.StartAsync();
            var system = new OursTarget(ours);
            samples.AddRange(await MeasureAsync("Ours", system, rates, warmup, duration));
        }

        var marten = await MartenSystem.CreateAsync("marten_lat", quickAppend: false);
        await using (marten)
        {
            await using var target = await MartenTarget.StartAsync(marten);
            samples.AddRange(await MeasureAsync("Marten", target, rates, warmup, duration));
        }

        var csv = new StringBuilder("System,RatePerSecond,Count,P50Ms,P99Ms,MaxMs,Appended\n");
        foreach (var s in samples)
        {
            Array.Sort(s.Millis);
            csv.Append(CultureInfo.InvariantCulture, $"{s.System},{s.Rate},{s.Millis.Length},{Percentile(s.Millis, 0.50):F2},{Percentile(s.Millis, 0.99):F2},{(s.Millis.Length > 0 ? s.Millis[^1] : double.NaN):F2},{s.Appended}\n");
            Console.WriteLine($"// latency {s.System} at {s.Rate}/s: n={s.Millis.Length} of {s.Appended}, p50 {Percentile(s.Millis, 0.50):F1} ms, p99 {Percentile(s.Millis, 0.99):F1} ms, max {(s.Millis.Length > 0 ? s.Millis[^1] : double.NaN):F1} ms");
        }

        await File.WriteAllTextAsync(path, csv.ToString());
        Console.WriteLine($"// latency results in {path}");
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static async Task<List<Sample>> MeasureAsync(string name, ITarget target, int[] rates, TimeSpan warmup, TimeSpan duration)
    {
        await RunRateAsync(target, $"{name}-warm", rates[0], warmup);
        var samples = new List<Sample>();
        foreach (var rate in rates)
        {
            var (millis, appended) = await RunRateAsync(target, $"{name}-{rate}", rate, duration);
            samples.Add(new Sample(name, rate, millis, appended));
        }

        return samples;
    }

    /// <summary>
    /// Appends at <paramref name="rate"/> per second for <paramref name="duration"/> (each writer on its own
    /// schedule, rate/8, phases spread; a late writer sends at once, it never skips), then waits up to 30 s
    /// for the last events to be applied. Returns the commit → applied times in ms and the appends made.
    /// </summary>
    private static async Task<(double[] Millis, int Appended)> RunRateAsync(ITarget target, string prefix, int rate, TimeSpan duration)
    {
        var results = new ConcurrentBag<double>();
        var waits = new ConcurrentBag<Task>();
        var interval = TimeSpan.FromSeconds((double)Writers / rate);
        var started = Stopwatch.GetTimestamp();
        var appended = 0;
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var k = 0; ; k++)
            {
                var due = interval * (k + (double)w / Writers);
                if (due >= duration)
                {
                    return;
                }

                var wait = due - Stopwatch.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                var stream = $"{prefix}-{w}-{k}-{Guid.NewGuid():N}";
                var applied = await target.AppendAsync(stream);
                var t0 = Stopwatch.GetTimestamp();
                Interlocked.Increment(ref appended);
                waits.Add(Task.Run(async () =>
                {
                    await applied();
                    results.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }));
            }
        })).ToArray();
        await Task.WhenAll(writers);
        await Task.WhenAny(Task.WhenAll(waits), Task.Delay(TimeSpan.FromSeconds(30)));
        return ([.. results], appended);
    }

    /// <summary>A system under test: appends one event and returns a wait that completes when it is applied (committed by the projection).</summary>
    private interface ITarget
    {
        /// <summary>Appends one event opening <paramref name="stream"/>; the returned function waits for its projection commit.</summary>
        Task<Func<Task>> AppendAsync(string stream);
    }

    private sealed class OursTarget(OursViewSystem system) : ITarget
    {
        public async Task<Func<Task>> AppendAsync(string stream)
        {
            var result = await system.Store.AppendAsync(StreamId.From(stream), ExpectedVersion.NoStream, [new EventData(EventFactory.Create(stream, 1))]);
            return () => system.Daemon.WaitForPositionAsync(BalanceView.ViewName, result.Position);
        }
    }

    /// <summary>Marten's async daemon with its defaults; a poller follows its progression table.</summary>
    private sealed class MartenTarget : ITarget, IAsyncDisposable
    {
        private readonly MartenSystem _marten;
        private readonly JasperFx.Events.Daemon.IProjectionDaemon _daemon;
        private readonly CancellationTokenSource _stop = new();
        private readonly SortedDictionary<long, TaskCompletionSource> _pending = [];
        private readonly Task _poller;
        private long _applied;

        private MartenTarget(MartenSystem marten, JasperFx.Events.Daemon.IProjectionDaemon daemon)
        {
            (_marten, _daemon) = (marten, daemon);
            _poller = Task.Run(PollAsync);
        }

        public static async Task<MartenTarget> StartAsync(MartenSystem marten)
        {
            var daemon = await marten.Store.BuildProjectionDaemonAsync();
            await daemon.StartAllAsync();
            return new MartenTarget(marten, daemon);
        }

        public async Task<Func<Task>> AppendAsync(string stream)
        {
            var sequence = await _marten.StartStreamReturningSequenceAsync(stream, EventFactory.Create(stream, 1));
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_pending)
            {
                if (sequence <= _applied)
                {
                    done.SetResult();
                }
                else
                {
                    _pending.Add(sequence, done);
                }
            }

            return () => done.Task;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _poller;
            }
            catch (OperationCanceledException)
            {
            }

            await _daemon.StopAllAsync();
            _daemon.Dispose();
            _stop.Dispose();
        }

        private async Task PollAsync()
        {
            await using var connection = await Databases.MartenDataSource.OpenConnectionAsync(_stop.Token);
            await using var command = new NpgsqlCommand("select coalesce(min(last_seq_id), 0) from marten_lat.mt_event_progression where name not like 'HighWater%'", connection);
            while (!_stop.IsCancellationRequested)
            {
                var applied = (long)(await command.ExecuteScalarAsync(_stop.Token))!;
                lock (_pending)
                {
                    _applied = Math.Max(_applied, applied);
                    while (_pending.Count > 0)
                    {
                        var (first, done) = _pending.First();
                        if (first > _applied)
                        {
                            break;
                        }

                        _pending.Remove(first);
                        done.SetResult();
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(2), _stop.Token);
            }
        }
    }
}
