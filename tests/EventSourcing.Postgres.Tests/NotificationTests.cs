using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using EventSourcing.Testing;
using EventSourcing.Projections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// Live wake-up across processes: one coalesced NOTIFY after local commits, a listener per process that
/// runs async projections. Each "process" is its own service provider (own data source, own commit
/// notifier); the readers poll only every 30 s, so seeing an event within seconds means NOTIFY woke them.
/// </summary>
public sealed partial class NotificationTests(PostgresFixture fixture)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);
    private static CancellationToken Ct => TestSupport.Ct;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_append_in_one_process_wakes_an_async_projection_in_another_through_notify(bool longestSchemaName)
    {
        // "es_" + a 63-character schema name is too long for a channel name: it is shortened with a hash.
        var options = longestSchemaName
            ? await CreateSchemaAsync("t_" + new string('n', 53) + Guid.NewGuid().ToString("N")[..8])
            : await fixture.CreateSchemaAsync("notify_two");
        var totals = new TotalsProjection("remote-totals");
        await using var writer = await TestProcess.StartAsync(fixture.ConnectionString, options.Schema);
        await using var reader = await TestProcess.StartAsync(fixture.ConnectionString, options.Schema, totals, SlowPolling);
        await TestSupport.WaitUntilAsync(() => Task.FromResult(reader.Daemon.GetStatus(totals.Name).State == ProjectionState.Live));

        // Control: an append nobody announces (a bare store, no notification service) stays unseen by the
        // sleeping reader; so what follows is not the poll.
        var bare = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var quiet = TestData.NewStream("quiet");
        await bare.AppendAsync(quiet, ExpectedVersion.NoStream, TestData.Increments(2), Ct);
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.Equal(0, totals.TotalOf(quiet));

        var stream = TestData.NewStream("announced");
        var result = await writer.Store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);

        await reader.Daemon.WaitForPositionAsync(totals.Name, result.Position, Ct).WaitAsync(Generous, Ct);
        Assert.Equal(6, totals.TotalOf(stream));
        Assert.Equal(3, totals.TotalOf(quiet));
    }

    [Fact]
    public async Task The_append_path_sends_no_notify_the_service_sends_coalesced_ones_after_the_commits()
    {
        var options = await fixture.CreateSchemaAsync("notify_after");
        var channel = "es_" + options.Schema;
        await using var listener = new NpgsqlConnection(fixture.ConnectionString);
        await listener.OpenAsync(Ct);
        var received = new ConcurrentQueue<NpgsqlNotificationEventArgs>();
        listener.Notification += (_, e) => received.Enqueue(e);
        await using (var listen = new NpgsqlCommand($"listen \"{channel}\"", listener))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        // The append path alone — the store and the append function, with and without inline projections
        // (which add an explicit transaction) — sends nothing. Notifications arrive in commit order, so a
        // marker sent after the appends arrives after anything they could have sent.
        var plain = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var inline = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options) { InlineProjections = [new TotalsProjection("inline")] };
        foreach (var store in new[] { plain, inline })
        {
            var stream = TestData.NewStream("bare");
            await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);
            for (var i = 0; i < 10; i++)
            {
                await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(2), Ct);
            }
        }

        await fixture.DataSource.ExecuteAsync("select pg_notify($1, 'marker-1')", channel);
        var beforeMarker = await ReceiveUntilAsync(listener, received, "marker-1");
        Assert.Empty(beforeMarker);

        // Through the DI wiring: 40 concurrent appends, announced by the service after they committed,
        // coalesced into fewer notifications, each in the service's format.
        await using var process = await TestProcess.StartAsync(fixture.ConnectionString, options.Schema);
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            process.Store.AppendAsync(TestData.NewStream("wired"), ExpectedVersion.NoStream, TestData.Increments(1), Ct).AsTask()));
        var lastTransaction = results.Max(r => r.Position.ToParts().Major);

        // Wait for a notification sent after every one of those transactions had been assigned its id
        // (its snapshot's xmax is above them all), then close the window with a marker.
        var sent = new List<NpgsqlNotificationEventArgs>();
        while (!sent.Any(n => Horizon(n.Payload) > lastTransaction))
        {
            sent.AddRange(await ReceiveAsync(listener, received).WaitAsync(Generous, Ct));
        }

        await fixture.DataSource.ExecuteAsync("select pg_notify($1, 'marker-2')", channel);
        sent.AddRange(await ReceiveUntilAsync(listener, received, "marker-2"));

        Assert.All(sent, n => Assert.Matches(PayloadPattern(), n.Payload));
        Assert.Single(sent.Select(n => n.Payload.Split(':')[0]).Distinct());
        Assert.InRange(sent.Count, 1, results.Length - 1);
    }

    [Fact]
    public async Task A_listener_whose_connection_is_terminated_reconnects_and_wakes_its_projection_again()
    {
        var options = await fixture.CreateSchemaAsync("notify_reconnect");
        var totals = new TotalsProjection("reconnect-totals");
        await using var writer = await TestProcess.StartAsync(fixture.ConnectionString, options.Schema);
        await using var reader = await TestProcess.StartAsync(fixture.ConnectionString, options.Schema, totals, SlowPolling);
        var first = await ListenerPidAsync(reader.ApplicationName);
        Assert.NotEqual(0, first);
        await TestSupport.WaitUntilAsync(() => Task.FromResult(reader.Daemon.GetStatus(totals.Name).State == ProjectionState.Live));

        Assert.Equal(true, await fixture.DataSource.ScalarAsync("select pg_terminate_backend($1)", first));
        await TestSupport.WaitUntilAsync(async () => await ListenerPidAsync(reader.ApplicationName) is var pid && pid != 0 && pid != first).WaitAsync(Generous, Ct);

        var stream = TestData.NewStream("after-reconnect");
        var result = await writer.Store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(4), Ct);
        await reader.Daemon.WaitForPositionAsync(totals.Name, result.Position, Ct).WaitAsync(Generous, Ct);
        Assert.Equal(10, totals.TotalOf(stream));

        // Stopping closes the listener's connection.
        await reader.StopAsync();
        await TestSupport.WaitUntilAsync(async () => await ListenerPidAsync(reader.ApplicationName) == 0).WaitAsync(Generous, Ct);
    }

    [Fact]
    public async Task Without_async_projections_nothing_listens_and_with_notifications_disabled_nothing_is_sent()
    {
        var options = await fixture.CreateSchemaAsync("notify_off");
        await using var writerOnly = await TestProcess.StartAsync(fixture.ConnectionString, options.Schema);
        Assert.Equal(0, await ListenerPidAsync(writerOnly.ApplicationName));

        await using var listener = new NpgsqlConnection(fixture.ConnectionString);
        await listener.OpenAsync(Ct);
        var received = new ConcurrentQueue<NpgsqlNotificationEventArgs>();
        listener.Notification += (_, e) => received.Enqueue(e);
        await using (var listen = new NpgsqlCommand($"listen \"es_{options.Schema}\"", listener))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        await using var disabled = await TestProcess.StartAsync(fixture.ConnectionString, options.Schema, new TotalsProjection("off"), postgres: pg => pg.EnableNotifications = false);
        Assert.Equal(0, await ListenerPidAsync(disabled.ApplicationName));
        await disabled.Store.AppendAsync(TestData.NewStream("unannounced"), ExpectedVersion.NoStream, TestData.Increments(1), Ct);

        // Give the (absent) loop several intervals, then close the window with a marker.
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        await fixture.DataSource.ExecuteAsync($"select pg_notify('es_{options.Schema}', 'marker')");
        Assert.Empty(await ReceiveUntilAsync(listener, received, "marker"));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task The_notification_service_starts_after_the_schema_service_and_before_the_daemon_when_enabled(bool insideAddEventSourcing, bool enabled)
    {
        var services = new ServiceCollection();
        void Postgres(PostgresOptions pg)
        {
            pg.ConnectionString = fixture.ConnectionString;
            pg.EnableNotifications = enabled;
        }

        var builder = services.AddEventSourcing(es =>
        {
            if (insideAddEventSourcing)
            {
                es.UsePostgres(Postgres);
            }
        });
        if (!insideAddEventSourcing)
        {
            builder.UsePostgres(Postgres);
        }

        await using var provider = services.BuildServiceProvider();
        var order = provider.GetServices<IHostedService>().Select(s => s.GetType().Name).ToArray();
        // Options are read when the host starts (the options pattern), so the service is always there, right
        // after the schema service; with EnableNotifications off its start does nothing. The horizon monitor
        // follows (it runs no statement until a listener enables its gauge).
        Assert.Equal(["PostgresSchemaHostedService", "PostgresNotificationService", "PostgresHorizonMonitor", "ProjectionDaemon", "EventSourcingStartupLog"], order);
        Assert.Equal(enabled, provider.GetRequiredService<PostgresOptions>().EnableNotifications);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(61_000)]
    public void A_notification_interval_out_of_range_is_refused_before_any_SQL(int milliseconds)
    {
        var options = new PostgresOptions { ConnectionString = "Host=127.0.0.1;Port=1", NotificationInterval = TimeSpan.FromMilliseconds(milliseconds) };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("NotificationInterval", error.Message, StringComparison.Ordinal);
    }

    private async Task<PostgresOptions> CreateSchemaAsync(string name)
    {
        var options = new PostgresOptions { Schema = name };
        await new PostgresSchemaInitializer(fixture.DataSource, options).ApplyAsync(Ct);
        return options;
    }

    private static void SlowPolling(ProjectionOptions options) => options.PollInterval = TimeSpan.FromSeconds(30);

    /// <summary>The listener's backend of a process (its statements carry a tag), or 0.</summary>
    private async Task<int> ListenerPidAsync(string applicationName) =>
        await fixture.DataSource.ScalarAsync(
            "select pid from pg_stat_activity where application_name = $1 and query like '/* eventsourcing listener */%' order by backend_start desc limit 1",
            applicationName) is int pid ? pid : 0;

    private static ulong Horizon(string payload) =>
        PayloadPattern().IsMatch(payload) ? ulong.Parse(payload.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture) : 0;

    /// <summary>Waits for at least one notification and returns what has arrived.</summary>
    private static async Task<List<NpgsqlNotificationEventArgs>> ReceiveAsync(NpgsqlConnection listener, ConcurrentQueue<NpgsqlNotificationEventArgs> received)
    {
        if (received.IsEmpty)
        {
            await listener.WaitAsync(Ct);
        }

        var result = new List<NpgsqlNotificationEventArgs>();
        while (received.TryDequeue(out var n))
        {
            result.Add(n);
        }

        return result;
    }

    /// <summary>Returns the notifications that arrived before the marker.</summary>
    private static async Task<List<NpgsqlNotificationEventArgs>> ReceiveUntilAsync(NpgsqlConnection listener, ConcurrentQueue<NpgsqlNotificationEventArgs> received, string marker)
    {
        var before = new List<NpgsqlNotificationEventArgs>();
        while (true)
        {
            foreach (var n in await ReceiveAsync(listener, received).WaitAsync(Generous, Ct))
            {
                if (n.Payload == marker)
                {
                    return before;
                }

                before.Add(n);
            }
        }
    }

    [GeneratedRegex(@"^[0-9a-f]{32}:[0-9]+\z")]
    private static partial Regex PayloadPattern();
}
