using System.Collections.Concurrent;
using System.Globalization;
using EventSourcing.Projections;
using EventSourcing.Storage;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>The shape of a <see cref="StressWorkload"/> run.</summary>
public sealed class StressOptions
{
    /// <summary>The environment variable that selects the long mode (value <c>long</c>).</summary>
    public const string EnvironmentVariable = "EVENTSOURCING_STRESS";

    /// <summary>True when <see cref="EnvironmentVariable"/> asks for the long mode.</summary>
    public static bool LongMode => string.Equals(Environment.GetEnvironmentVariable(EnvironmentVariable), "long", StringComparison.OrdinalIgnoreCase);

    /// <summary>Concurrent writers.</summary>
    public int Writers { get; init; } = 16;

    /// <summary>Acknowledged appends each writer makes.</summary>
    public int AppendsPerWriter { get; init; } = 100;

    /// <summary>Streams written to.</summary>
    public int Streams { get; init; } = 100;

    /// <summary>The first this many streams are written with <c>Exactly(n)</c> (reload and retry on conflict), the rest with <c>Any</c>.</summary>
    public int ContendedStreams { get; init; } = 50;

    /// <summary>Events per append: 1 to this many.</summary>
    public int MaxBatch { get; init; } = 3;

    /// <summary>The seed of the writers' random choices.</summary>
    public int Seed { get; init; } = 14;

    /// <summary>
    /// Decides which exceptions (other than <see cref="WrongExpectedVersionException"/>) leave the outcome
    /// of an append unknown: the writer retries the same events (same ids) until it gets a result. Null:
    /// none, any other exception fails the run.
    /// </summary>
    public Func<Exception, bool>? IsUnknownOutcome { get; init; }

    /// <summary>
    /// When true, after each unknown outcome another writer (the readers' store) appends one event with
    /// <c>Any</c> to the same stream before the retry, so the retry always lands after someone else's
    /// events: the case only the duplicate-id rule (an event id at most once per stream) gets right.
    /// </summary>
    public bool InterveneAfterUnknown { get; init; }

    /// <summary>The pause before retrying after an unknown outcome (or a failed read).</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>What a <see cref="StressWorkload"/> run saw, and what the checks found.</summary>
public sealed record StressReport
{
    /// <summary>Acknowledged appends (including already-appended results).</summary>
    public long Appends { get; init; }

    /// <summary>Acknowledged events.</summary>
    public long Events { get; init; }

    /// <summary>WrongExpectedVersionException results (each followed by reload and retry).</summary>
    public long Conflicts { get; init; }

    /// <summary>Results with AlreadyAppended set.</summary>
    public long AlreadyAppended { get; init; }

    /// <summary>Appends that threw something other than a conflict at least once (outcome unknown, retried).</summary>
    public long UnknownOutcomes { get; init; }

    /// <summary>Of those, appends whose retry found them already stored (they had committed).</summary>
    public long UnknownThenCommitted { get; init; }

    /// <summary>Acknowledged events not stored.</summary>
    public long Lost { get; init; }

    /// <summary>Extra copies of events (stored more than once) plus stored events nobody was told about.</summary>
    public long Duplicated { get; init; }

    /// <summary>Streams whose events the global log (or the tailing reader) gave out of version order, plus out-of-order positions.</summary>
    public long Reordered { get; init; }

    /// <summary>Events the tailing reader saw.</summary>
    public long Tailed { get; init; }

    /// <summary>Appends made by the intervening writer (see <see cref="StressOptions.InterveneAfterUnknown"/>), included in <see cref="Appends"/>.</summary>
    public long Interventions { get; init; }

    /// <summary>Read errors the tailing reader retried.</summary>
    public long TailErrors { get; init; }

    /// <summary>How long the load ran.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"appends={Appends} events={Events} conflicts={Conflicts} alreadyAppended={AlreadyAppended} unknown={UnknownOutcomes} unknownCommitted={UnknownThenCommitted} interventions={Interventions} " +
        $"lost={Lost} duplicated={Duplicated} reordered={Reordered} tailed={Tailed} tailErrors={TailErrors} elapsed={Elapsed.TotalSeconds:0.0}s");
}

/// <summary>
/// Concurrent writers over many streams (half contended), a tailing global-log reader and an async
/// projection running throughout; then the store's promises checked: every acknowledged event stored
/// exactly once, versions contiguous, the global log equal to the acknowledged events with each
/// stream's events in version order, the tailing reader's sequence equal to the log, and the
/// projection equal to a fresh replay. Faults can be injected alongside (see <see cref="RunAsync"/>).
/// </summary>
public sealed class StressWorkload
{
    private readonly StressOptions _options;
    private readonly IEventStore _writers;
    private readonly IEventStore _readers;
    private readonly IProjectionStore _projections;
    private readonly ConcurrentQueue<Acknowledged> _acknowledged = new();
    private readonly List<(Guid Id, StreamId Stream, long Version, GlobalPosition Position)> _tailed = [];
    private readonly StreamId[] _streams;
    private long _appends;
    private long _conflicts;
    private long _already;
    private long _unknown;
    private long _unknownCommitted;
    private long _tailErrors;
    private long _interventions;

    /// <summary>A workload whose writers use <paramref name="writers"/> and whose readers (tail, projection, checks) use <paramref name="readers"/>.</summary>
    /// <param name="options">The run's shape.</param>
    /// <param name="writers">The store the writers append through (may be the same as <paramref name="readers"/>).</param>
    /// <param name="readers">The store read from; its global log must be empty at the start.</param>
    /// <param name="projections">The projection store of the daemon.</param>
    public StressWorkload(StressOptions options, IEventStore writers, IEventStore readers, IProjectionStore projections)
    {
        _options = options;
        _writers = writers;
        _readers = readers;
        _projections = projections;
        var run = Guid.NewGuid().ToString("N")[..8];
        _streams = Enumerable.Range(0, options.Streams).Select(i => new StreamId($"stress-{run}-{(i < options.ContendedStreams ? "c" : "a")}{i}")).ToArray();
    }

    /// <summary>Appends acknowledged so far.</summary>
    public long AcknowledgedAppends => Interlocked.Read(ref _appends);

    /// <summary>The appends the run will make in all.</summary>
    public long TotalAppends => (long)_options.Writers * _options.AppendsPerWriter;

    /// <summary>Appends whose outcome was unknown at least once so far.</summary>
    public long UnknownOutcomes => Interlocked.Read(ref _unknown);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Acknowledged(StreamId Stream, Guid[] Ids, int[] Amounts, AppendResult Result);

    /// <summary>Waits until at least <paramref name="count"/> appends were acknowledged.</summary>
    /// <param name="count">The number of appends.</param>
    /// <returns>A task that completes then.</returns>
    public async Task WaitForAppendsAsync(long count)
    {
        while (AcknowledgedAppends < count)
        {
            await Task.Delay(5, Ct);
        }
    }

    /// <summary>Runs the load, with <paramref name="faults"/> running alongside the writers, then checks everything.</summary>
    /// <param name="faults">Injects faults while the writers run (it may wait on <see cref="WaitForAppendsAsync"/>); null for none.</param>
    /// <returns>The counts; the checks have been asserted (lost, duplicated and reordered are zero).</returns>
    public async Task<StressReport> RunAsync(Func<StressWorkload, Task>? faults = null)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var projection = new TotalsProjection("stress-totals");
        var daemonOptions = new ProjectionOptions
        {
            BatchSize = 500,
            PollInterval = TimeSpan.FromMilliseconds(20),
            RetryBackoff = TimeSpan.FromMilliseconds(5),
            StoreErrorBackoff = TimeSpan.FromMilliseconds(50),
        };
        await using var daemon = new ProjectionDaemon(_readers, _projections, [projection], daemonOptions);
        await daemon.StartAsync(Ct);

        using var stopTail = new CancellationTokenSource();
        var tailTarget = new TaskCompletionSource<GlobalPosition>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tail = Task.Run(() => TailAsync(tailTarget.Task), Ct);

        var writers = Enumerable.Range(0, _options.Writers).Select(w => Task.Run(() => WriteAsync(w), Ct)).ToList();
        var faulting = faults is null ? Task.CompletedTask : Task.Run(() => faults(this), Ct);

        // A writer that dies never acknowledges its remaining appends, and a fault injector that waits for
        // them would wait forever: surface the writer's exception at once instead of hanging the run.
        var writing = Task.WhenAll(writers);
        if (await Task.WhenAny(writing, faulting) == writing && writing.IsFaulted)
        {
            await writing;
        }

        await Task.WhenAll(writing, faulting);
        var elapsed = started.Elapsed;

        // Every append is acknowledged and no writer runs: read back what is stored.
        var stored = new Dictionary<StreamId, List<EventEnvelope>>();
        foreach (var stream in _streams)
        {
            stored[stream] = await RetryAsync(() => ReadStreamAsync(stream));
        }

        var storedCount = stored.Values.Sum(s => s.Count);
        var log = await RetryAsync(() => ReadLogAsync(storedCount));
        var head = log.Count == 0 ? GlobalPosition.Start : log[^1].Position;
        tailTarget.SetResult(head);
        await tail;
        await daemon.WaitForPositionAsync(projection.Name, head, Ct);
        await daemon.StopAsync(Ct);

        var acknowledged = _acknowledged.ToArray();
        var (report, errors) = Check(acknowledged, stored, log, projection);
        report = report with { Elapsed = elapsed };
        TestContext.Current.TestOutputHelper?.WriteLine($"stress: {report}");
        TestContext.Current.SendDiagnosticMessage($"stress {TestContext.Current.Test?.TestDisplayName}: {report}");
        Assert.True(errors.Count == 0, $"{report}\n{string.Join('\n', errors)}");
        Assert.True(report.Lost == 0 && report.Duplicated == 0 && report.Reordered == 0, report.ToString());
        await CheckFreshReplayAsync(projection, head, stored);
        Assert.Equal(TotalAppends + report.Interventions, report.Appends);
        return report;
    }

    private async Task WriteAsync(int writer)
    {
        var random = new Random(_options.Seed * 1_000 + writer);
        var known = new Dictionary<StreamId, long>();
        for (var i = 0; i < _options.AppendsPerWriter; i++)
        {
            var index = random.Next(_streams.Length);
            var stream = _streams[index];
            var contended = index < _options.ContendedStreams;
            var size = random.Next(1, _options.MaxBatch + 1);
            var amounts = new int[size];
            var batch = new EventData[size];
            for (var j = 0; j < size; j++)
            {
                amounts[j] = random.Next(1, 1_000);
                batch[j] = new EventData(new Incremented(amounts[j]));
            }

            var expected = contended ? ExpectedVersion.Exactly(known.GetValueOrDefault(stream)) : ExpectedVersion.Any;
            var unknown = false;
            while (true)
            {
                Ct.ThrowIfCancellationRequested();
                try
                {
                    var result = await _writers.AppendAsync(stream, expected, batch, Ct);
                    if (result.AlreadyAppended)
                    {
                        Interlocked.Increment(ref _already);
                        if (unknown)
                        {
                            Interlocked.Increment(ref _unknownCommitted);
                        }
                    }

                    _acknowledged.Enqueue(new Acknowledged(stream, batch.Select(e => e.EventId).ToArray(), amounts, result));
                    known[stream] = result.NextExpectedVersion;
                    Interlocked.Increment(ref _appends);
                    break;
                }
                catch (WrongExpectedVersionException) when (contended)
                {
                    // Reload and retry: the same events (same ids) at the stream's current version.
                    Interlocked.Increment(ref _conflicts);
                    expected = ExpectedVersion.Exactly(await RetryAsync(() => _writers.GetStreamVersionAsync(stream, Ct).AsTask()));
                }
                catch (Exception error) when (error is not OperationCanceledException || !Ct.IsCancellationRequested)
                {
                    if (error is WrongExpectedVersionException || _options.IsUnknownOutcome?.Invoke(error) != true)
                    {
                        throw;
                    }

                    if (!unknown)
                    {
                        unknown = true;
                        Interlocked.Increment(ref _unknown);
                    }

                    await Task.Delay(_options.RetryBackoff, Ct);
                    if (_options.InterveneAfterUnknown)
                    {
                        await InterveneAsync(stream);
                    }
                }
            }
        }
    }

    /// <summary>Another writer appends one event to the stream (through the readers' store), acknowledged like the others.</summary>
    private async Task InterveneAsync(StreamId stream)
    {
        var amount = Random.Shared.Next(1, 1_000);
        var batch = new[] { new EventData(new Incremented(amount)) };
        var result = await RetryAsync(() => _readers.AppendAsync(stream, ExpectedVersion.Any, batch, Ct).AsTask());
        _acknowledged.Enqueue(new Acknowledged(stream, [batch[0].EventId], [amount], result));
        Interlocked.Increment(ref _interventions);
        Interlocked.Increment(ref _appends);
    }

    /// <summary>Runs a read, retrying the errors the options call unknown-outcome (transient).</summary>
    private async Task<T> RetryAsync<T>(Func<Task<T>> read)
    {
        while (true)
        {
            try
            {
                return await read();
            }
            catch (Exception error) when (_options.IsUnknownOutcome?.Invoke(error) == true && !Ct.IsCancellationRequested)
            {
                await Task.Delay(_options.RetryBackoff, Ct);
            }
        }
    }

    private async Task<List<EventEnvelope>> ReadStreamAsync(StreamId stream)
    {
        var result = new List<EventEnvelope>();
        await foreach (var e in _readers.ReadStreamAsync(stream, cancellationToken: Ct))
        {
            result.Add(e);
        }

        return result;
    }

    /// <summary>The whole global log; read again (from where it stopped) until it holds at least <paramref name="atLeast"/> events.</summary>
    private async Task<List<EventEnvelope>> ReadLogAsync(int atLeast)
    {
        var result = new List<EventEnvelope>();
        var after = GlobalPosition.Start;
        while (true)
        {
            var before = result.Count;
            await foreach (var e in _readers.ReadAllAsync(after, 5_000, cancellationToken: Ct))
            {
                result.Add(e);
                after = e.Position;
            }

            if (result.Count == before)
            {
                if (result.Count >= atLeast)
                {
                    return result;
                }

                // A reader may be held back by a transaction still open elsewhere (a daemon checkpoint).
                await Task.Delay(10, Ct);
            }
        }
    }

    private async Task TailAsync(Task<GlobalPosition> target)
    {
        var after = GlobalPosition.Start;
        while (true)
        {
            var read = 0;
            try
            {
                await foreach (var e in _readers.ReadAllAsync(after, 500, cancellationToken: Ct))
                {
                    _tailed.Add((e.EventId, e.StreamId, e.StreamVersion, e.Position));
                    after = e.Position;
                    read++;
                }
            }
            catch (Exception error) when (!Ct.IsCancellationRequested && error is not Xunit.Sdk.XunitException)
            {
                // Resume from the last position seen.
                Interlocked.Increment(ref _tailErrors);
                await Task.Delay(_options.RetryBackoff, Ct);
                continue;
            }

            if (read == 0)
            {
                if (target.IsCompleted && after >= target.Result)
                {
                    return;
                }

                await Task.Delay(2, Ct);
            }
        }
    }

    private (StressReport Report, List<string> Errors) Check(Acknowledged[] acknowledged, Dictionary<StreamId, List<EventEnvelope>> stored, List<EventEnvelope> log, TotalsProjection projection)
    {
        long lost = 0, duplicated = 0, reordered = 0;
        var errors = new List<string>();
        void Fail(string message)
        {
            if (errors.Count < 20)
            {
                errors.Add(message);
            }
        }

        // Stored: versions contiguous from 1; each id once.
        var storedIds = new Dictionary<Guid, (StreamId Stream, long Version)>();
        var storedTwice = new HashSet<Guid>();
        foreach (var (stream, events) in stored)
        {
            for (var i = 0; i < events.Count; i++)
            {
                if (events[i].StreamVersion != i + 1)
                {
                    Fail($"{stream}: version {events[i].StreamVersion} at index {i}");
                    reordered++;
                }

                if (!storedIds.TryAdd(events[i].EventId, (stream, events[i].StreamVersion)))
                {
                    storedTwice.Add(events[i].EventId);
                    Fail($"{stream}: event {events[i].EventId} stored twice (v{storedIds[events[i].EventId].Version} and v{events[i].StreamVersion})");
                    duplicated++;
                }
            }
        }

        // Acknowledged: each batch stored once, whole, in order, at the versions its result names.
        var acknowledgedIds = new HashSet<Guid>();
        foreach (var ack in acknowledged)
        {
            for (var j = 0; j < ack.Ids.Length; j++)
            {
                acknowledgedIds.Add(ack.Ids[j]);
                var expectedVersion = ack.Result.NextExpectedVersion - ack.Ids.Length + 1 + j;
                if (!storedIds.TryGetValue(ack.Ids[j], out var at))
                {
                    Fail($"{ack.Stream}: acknowledged event {ack.Ids[j]} (v{expectedVersion}) is not stored");
                    lost++;
                }
                else if (at.Stream != ack.Stream || at.Version != expectedVersion)
                {
                    Fail($"{ack.Stream}: acknowledged event {ack.Ids[j]} stored at {at.Stream} v{at.Version}, result said v{expectedVersion}");
                    reordered++;
                }
            }
        }

        // Stored but never acknowledged (a second copy written by a retry, or a write nobody was told about).
        duplicated += storedIds.Keys.Count(id => !acknowledgedIds.Contains(id));

        // The global log: the stored events, positions increasing, each stream in version order.
        var storedCount = stored.Values.Sum(e => e.Count);
        if (log.Count != storedCount)
        {
            Fail($"global log has {log.Count} events, streams hold {storedCount}");
        }

        var logIds = new HashSet<Guid>();
        var lastVersion = new Dictionary<StreamId, long>();
        var reorderedStreams = new HashSet<StreamId>();
        for (var i = 0; i < log.Count; i++)
        {
            var e = log[i];
            if (!logIds.Add(e.EventId))
            {
                // Counted above when the stream holds it twice too; only a log-only repeat counts here.
                Fail($"global log repeats {e.EventId}");
                duplicated += storedTwice.Contains(e.EventId) ? 0 : 1;
            }

            if (!storedIds.ContainsKey(e.EventId))
            {
                Fail($"global log has {e.EventId} which no stream holds");
                duplicated++;
            }

            if (i > 0 && log[i - 1].Position >= e.Position)
            {
                Fail($"global log positions not increasing at {i}: {log[i - 1].Position} then {e.Position}");
                reordered++;
            }

            if (lastVersion.GetValueOrDefault(e.StreamId) + 1 != e.StreamVersion && reorderedStreams.Add(e.StreamId))
            {
                Fail($"global log gives {e.StreamId} v{e.StreamVersion} after v{lastVersion.GetValueOrDefault(e.StreamId)}");
                reordered++;
            }

            lastVersion[e.StreamId] = Math.Max(lastVersion.GetValueOrDefault(e.StreamId), e.StreamVersion);
        }

        lost += storedIds.Keys.Count(id => !logIds.Contains(id));

        // The tailing reader saw exactly the log.
        var tailed = _tailed;
        if (tailed.Count != log.Count)
        {
            Fail($"tailing reader saw {tailed.Count} events, the log has {log.Count}");
        }

        for (var i = 0; i < Math.Min(tailed.Count, log.Count); i++)
        {
            if (tailed[i].Id != log[i].EventId || tailed[i].Position != log[i].Position)
            {
                Fail($"tailing reader differs from the log at {i}: {tailed[i].Id}@{tailed[i].Position} vs {log[i].EventId}@{log[i].Position}");
                reordered++;
                break;
            }
        }

        // The projection, built live during the load, equals the streams folded now.
        foreach (var (stream, events) in stored)
        {
            var total = events.Sum(e => (long)((Incremented)e.Event).By);
            if (projection.TotalOf(stream) != total || projection.VersionOf(stream) != events.Count)
            {
                Fail($"projection of {stream}: total {projection.TotalOf(stream)} v{projection.VersionOf(stream)}, replay {total} v{events.Count}");
            }
        }

        var report = new StressReport
        {
            Appends = acknowledged.Length,
            Events = acknowledged.Sum(a => (long)a.Ids.Length),
            Conflicts = Interlocked.Read(ref _conflicts),
            AlreadyAppended = Interlocked.Read(ref _already),
            UnknownOutcomes = Interlocked.Read(ref _unknown),
            UnknownThenCommitted = Interlocked.Read(ref _unknownCommitted),
            Lost = lost,
            Duplicated = duplicated,
            Reordered = reordered,
            Tailed = tailed.Count,
            TailErrors = Interlocked.Read(ref _tailErrors),
            Interventions = Interlocked.Read(ref _interventions),
        };
        return (report, errors);
    }

    /// <summary>A second daemon replays the whole log into a fresh read model: it must equal the live one.</summary>
    private async Task CheckFreshReplayAsync(TotalsProjection live, GlobalPosition head, Dictionary<StreamId, List<EventEnvelope>> stored)
    {
        var fresh = new TotalsProjection("stress-replay-" + Guid.NewGuid().ToString("N")[..6]);
        await using var daemon = new ProjectionDaemon(_readers, _projections, [fresh], new ProjectionOptions { BatchSize = 1_000, PollInterval = TimeSpan.FromMilliseconds(20) });
        await daemon.StartAsync(Ct);
        await daemon.WaitForPositionAsync(fresh.Name, head, Ct);
        await daemon.StopAsync(Ct);
        foreach (var stream in stored.Keys)
        {
            Assert.Equal((live.VersionOf(stream), live.TotalOf(stream)), (fresh.VersionOf(stream), fresh.TotalOf(stream)));
        }
    }
}
