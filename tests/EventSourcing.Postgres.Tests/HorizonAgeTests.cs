using System.Diagnostics.Metrics;
using EventSourcing.Postgres.Internal;
using EventSourcing.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// <c>eventsourcing.global_log.horizon.age</c>: how long the oldest running transaction has held the global
/// log's readers back, sampled from <c>pg_current_snapshot()</c> while a listener enables the gauge.
/// </summary>
[Collection(HorizonCollection.Name)]
public sealed class HorizonAgeTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task The_age_grows_while_an_open_transaction_hides_later_commits_and_is_zero_after_it_commits()
    {
        var clock = new ManualTimeProvider();
        using var gauge = new Gauge();
        await using var monitor = new PostgresHorizonMonitor(() => fixture.DataSource, clock) { Interval = TimeSpan.FromHours(1) };
        await monitor.StartAsync(Ct); // the gauge reports started monitors; the test samples by hand

        await monitor.SampleAsync(Ct);
        Assert.Equal(0, gauge.Read());

        // A writer that took a transaction id and has not committed: every reader of the log waits for it.
        await using var writer = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await writer.BeginTransactionAsync(Ct);
        await using (var command = new Npgsql.NpgsqlCommand("select pg_current_xact_id()", writer, transaction))
        {
            await command.ExecuteScalarAsync(Ct);
        }

        // Nothing committed after it yet: the snapshot's xmax is still its id, readers miss nothing.
        await monitor.SampleAsync(Ct);
        clock.Advance(TimeSpan.FromSeconds(10));
        await monitor.SampleAsync(Ct);
        Assert.Equal(0, gauge.Read());

        // A later writer commits: its events (and everything after) wait for the open one.
        await fixture.DataSource.ScalarAsync("select pg_current_xact_id()");
        await monitor.SampleAsync(Ct);
        Assert.Equal(0, gauge.Read()); // first seen now: a lower bound

        clock.Advance(TimeSpan.FromSeconds(10));
        await monitor.SampleAsync(Ct);
        Assert.Equal(10, gauge.Read());

        clock.Advance(TimeSpan.FromSeconds(5));
        await monitor.SampleAsync(Ct);
        Assert.Equal(15, gauge.Read());
        Assert.Equal("s", gauge.Unit);

        await transaction.CommitAsync(Ct);
        clock.Advance(TimeSpan.FromSeconds(5));
        await monitor.SampleAsync(Ct);
        Assert.Equal(0, gauge.Read());

        // Another store's monitor on the same server: still one measurement (the horizon is the server's).
        await using (var other = new PostgresHorizonMonitor(() => fixture.DataSource, clock) { Interval = TimeSpan.FromHours(1) })
        {
            await other.StartAsync(Ct);
            await other.SampleAsync(Ct);
            Assert.Equal(0, other.Current);
            Assert.Equal(0, gauge.Read()); // Read asserts a single measurement
        }

        await monitor.StopAsync(Ct);
        Assert.Null(gauge.Read()); // a stopped monitor reports nothing
    }

    [Fact]
    public async Task The_horizon_is_sampled_in_the_background_only_while_a_listener_enables_the_gauge_and_stops_with_the_host()
    {
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es.UsePostgres(pg =>
        {
            pg.DataSource = fixture.DataSource;
            pg.Schema = PostgresFixture.NewSchemaName("horizon");
        }));
        await using var provider = services.BuildServiceProvider();
        var registered = Assert.Single(provider.GetServices<IHostedService>().OfType<PostgresHorizonMonitor>());
        Assert.Equal(PostgresHorizonMonitor.DefaultInterval, registered.Interval);

        // The registered one, with a short interval so the loop turns quickly in this test.
        await using var monitor = new PostgresHorizonMonitor(() => fixture.DataSource) { Interval = TimeSpan.FromMilliseconds(20) };
        await monitor.StartAsync(Ct);
        await TestSupport.WaitUntilAsync(() => Task.FromResult(monitor.Ticks >= 5));
        Assert.Equal(0, monitor.Samples); // nobody listens: no statement ran
        Assert.Null(monitor.Current);

        using (var gauge = new Gauge())
        {
            await TestSupport.WaitUntilAsync(() => Task.FromResult(monitor.Samples >= 2));
            Assert.InRange(gauge.Read() ?? -1, 0, 3600);
        }

        // The listener is gone: the loop forgets the last sample and stops sampling.
        await TestSupport.WaitUntilAsync(() => Task.FromResult(monitor.Current is null));
        var samples = monitor.Samples;
        var ticks = monitor.Ticks;
        await TestSupport.WaitUntilAsync(() => Task.FromResult(monitor.Ticks >= ticks + 5));
        Assert.Equal(samples, monitor.Samples);

        Assert.True(monitor.IsRunning);
        await monitor.StopAsync(Ct);
        Assert.False(monitor.IsRunning); // no loop (and no timer) left behind
    }

    /// <summary>Listens to the gauge; <see cref="Read"/> collects it and returns this server's measurement.</summary>
    private sealed class Gauge : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<double> _values = [];

        public Gauge()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PostgresDiagnostics.MeterName && instrument.Name == PostgresHorizonMonitor.InstrumentName)
                {
                    Unit = instrument.Unit;
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "db.system.name" && Equals(tag.Value, "postgresql"))
                    {
                        _values.Add(value);
                    }
                }
            });
            _listener.Start();
        }

        public string? Unit { get; private set; }

        public double? Read()
        {
            _values.Clear();
            _listener.RecordObservableInstruments();
            return _values.Count == 0 ? null : Assert.Single(_values);
        }

        public void Dispose() => _listener.Dispose();
    }
}
