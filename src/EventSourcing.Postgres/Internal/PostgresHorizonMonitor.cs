using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// The age of the global log's horizon, <c>eventsourcing.global_log.horizon.age</c>: how long the oldest
/// transaction still running in the cluster has hidden later commits from every reader of the global log.
/// Reads take only events of transactions below the snapshot's xmin, so this one transaction delays every
/// projection of every schema and database of the server.
/// <para>
/// A background loop samples <c>pg_current_snapshot()</c> every <see cref="Interval"/>, and only while a
/// listener has enabled the gauge (no statement runs otherwise). xmin = xmax means no transaction that
/// committed is hidden (a running one at xmax has nothing committed after it): 0. Otherwise xmin is the
/// oldest running transaction and some later one has committed; the age is the time since a sample first
/// saw that xmin: a lower bound, with the interval as its resolution. Needs no privilege
/// (<c>pg_stat_activity</c> would need <c>pg_read_all_stats</c> to see other users' transactions). The
/// observable callback does no I/O: it reports the last sample. Started and stopped with the host.
/// </para>
/// </summary>
internal sealed partial class PostgresHorizonMonitor : IHostedService, IAsyncDisposable
{
    /// <summary>The instrument's name.</summary>
    public const string InstrumentName = "eventsourcing.global_log.horizon.age";

    /// <summary>How often the horizon is sampled while the gauge is enabled.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    private const string SnapshotSql = "select pg_snapshot_xmin(s), pg_snapshot_xmax(s) from pg_current_snapshot() as s";

    /// <summary>The started monitors the gauge reports on.</summary>
    private static readonly List<PostgresHorizonMonitor> Started = [];

    private static readonly ObservableGauge<double> Age = PostgresInstruments.Meter.CreateObservableGauge(
        InstrumentName,
        Observe,
        "s",
        "How long the oldest transaction running in the cluster has hidden later commits from the global log's readers (every projection waits for it); 0 when nothing committed is hidden. A lower bound, sampled every second.");

    private readonly Func<NpgsqlDataSource> _dataSource;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _state = new();
    private readonly SemaphoreSlim _sampling = new(1, 1);
    private KeyValuePair<string, object?>[]? _tags;
    private ulong? _oldest;
    private DateTimeOffset _firstSeen;
    private double? _age;
    private bool _failing;
    private CancellationTokenSource? _stopping;
    private Task _loop = Task.CompletedTask;
    private long _ticks;
    private long _samples;

    /// <summary>Creates a monitor; <paramref name="dataSource"/> is asked for the data source when a sample runs.</summary>
    public PostgresHorizonMonitor(Func<NpgsqlDataSource> dataSource, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The sampling interval (tests shorten it).</summary>
    public TimeSpan Interval { get; init; } = DefaultInterval;

    /// <summary>The last sample's age in seconds; null before the first sample, after a failed one, or while the gauge is off.</summary>
    public double? Current
    {
        get
        {
            lock (_state)
            {
                return _age;
            }
        }
    }

    /// <summary>Rounds of the background loop (tests).</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Samples taken (tests).</summary>
    public long Samples => Interlocked.Read(ref _samples);

    /// <summary>True while the background loop runs.</summary>
    public bool IsRunning => !_loop.IsCompleted;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_stopping is not null)
        {
            throw new InvalidOperationException("The horizon monitor is already started.");
        }

        var stopping = new CancellationTokenSource();
        _stopping = stopping;
        lock (Started)
        {
            Started.Add(this);
        }

        _loop = Task.Run(() => RunAsync(stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var stopping = Interlocked.Exchange(ref _stopping, null);
        if (stopping is null)
        {
            return;
        }

        lock (Started)
        {
            Started.Remove(this);
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            stopping.Dispose();
            Forget();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>Reads the cluster's snapshot once and updates the age.</summary>
    /// <exception cref="NpgsqlException">The server could not be reached.</exception>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        await _sampling.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var dataSource = _dataSource();
            _tags ??= Tags(dataSource);
            var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            using var command = new NpgsqlCommand(SnapshotSql, connection);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var (xmin, xmax) = (reader.GetFieldValue<ulong>(0), reader.GetFieldValue<ulong>(1));
            var now = _time.GetUtcNow();
            lock (_state)
            {
                if (xmin == xmax)
                {
                    // Nothing committed is hidden: no running transaction has a later one committed after it.
                    (_oldest, _age) = (null, 0);
                }
                else if (_oldest != xmin)
                {
                    (_oldest, _firstSeen, _age) = (xmin, now, 0);
                }
                else
                {
                    _age = Math.Max(0, (now - _firstSeen).TotalSeconds);
                }
            }

            Interlocked.Increment(ref _samples);
        }
        finally
        {
            _sampling.Release();
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Interlocked.Increment(ref _ticks);
            if (Age.Enabled)
            {
                try
                {
                    await SampleAsync(stopping).ConfigureAwait(false);
                    _failing = false;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // Unknown, not stale: report nothing until a sample succeeds again.
                    Forget();
                    if (!_failing)
                    {
                        LogSampleFailed(_logger, ex);
                        _failing = true;
                    }
                }
            }
            else
            {
                // Nobody listens: no statement runs, and what was seen is forgotten (it would be stale).
                Forget();
            }

            try
            {
                await Task.Delay(Interval, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Forget()
    {
        lock (_state)
        {
            (_oldest, _age) = (null, null);
        }
    }

    /// <summary>The server's address and port: the horizon is the server's, whatever the database or schema.</summary>
    private static KeyValuePair<string, object?>[] Tags(NpgsqlDataSource dataSource)
    {
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return
        [
            new("db.system.name", "postgresql"),
            new("server.address", settings.Host ?? "localhost"),
            new("server.port", settings.Port),
        ];
    }

    /// <summary>One measurement per server (several stores on one server report the largest age); no I/O.</summary>
    private static List<Measurement<double>> Observe()
    {
        var byServer = new Dictionary<(object?, object?), (double Age, KeyValuePair<string, object?>[] Tags)>();
        lock (Started)
        {
            foreach (var monitor in Started)
            {
                if (monitor.Current is { } age && monitor._tags is { } tags)
                {
                    var server = (tags[1].Value, tags[2].Value);
                    if (!byServer.TryGetValue(server, out var known) || known.Age < age)
                    {
                        byServer[server] = (age, tags);
                    }
                }
            }
        }

        return [.. byServer.Values.Select(v => new Measurement<double>(v.Age, v.Tags))];
    }

    [LoggerMessage(EventId = 2010, EventName = "HorizonSampleFailed", Level = LogLevel.Warning, Message = "Could not sample the global log's horizon (pg_current_snapshot); eventsourcing.global_log.horizon.age reports nothing until a sample succeeds. Retrying every interval.")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
