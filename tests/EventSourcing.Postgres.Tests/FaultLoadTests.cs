using System.Collections.Concurrent;
using System.Net.Sockets;
using EventSourcing.Testing;
using EventSourcing.Testing.Postgres;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// Faults under load: the stress workload (<see cref="StressWorkload"/>: 16 writers, half the streams
/// contended, a tailing reader and an async projection) while the server restarts, connections are
/// killed mid-append, statements time out, or replies of committed appends are lost. Writers treat any
/// exception other than a conflict as an unknown outcome and retry the same events (same ids) until
/// they get a result. Afterwards the same promises as the stress suite hold.
/// </summary>
public sealed class FaultLoadTests(PostgresFixture fixture)
{
    private const int AppendsPerWriter = 60;
    private const string WriterApplication = "es-load-writer";
    private static CancellationToken Ct => TestSupport.Ct;

    /// <summary>Errors after which the outcome of an append (or a read) is unknown: the connection, the server or a timeout failed.</summary>
    private static bool IsTransient(Exception error) =>
        error is NpgsqlException or IOException or SocketException or TimeoutException;

    private static StressOptions Options(ConcurrentDictionary<string, int> seen, bool intervene = false) => new()
    {
        InterveneAfterUnknown = intervene,
        AppendsPerWriter = AppendsPerWriter,
        RetryBackoff = TimeSpan.FromMilliseconds(20),
        IsUnknownOutcome = error =>
        {
            if (!IsTransient(error))
            {
                return false;
            }

            seen.AddOrUpdate(error is PostgresException p ? p.SqlState : error.GetType().Name, 1, (_, n) => n + 1);
            return true;
        },
    };

    private static NpgsqlDataSource WriterDataSource(string connectionString, Action<NpgsqlConnectionStringBuilder>? configure = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName = WriterApplication;
        configure?.Invoke(builder.ConnectionStringBuilder);
        return builder.Build();
    }

    /// <summary>A statement-level trigger that parks every append on a shared advisory lock while the test holds it exclusively.</summary>
    private static Task InstallParkingTriggerAsync(NpgsqlDataSource dataSource, string schema, long key) => dataSource.ExecuteAsync($"""
        create function "{schema}".park_appends() returns trigger language plpgsql as $$
        begin
            perform pg_advisory_xact_lock_shared({key});
            return null;
        end $$;
        create trigger park_appends before insert on "{schema}".events for each statement execute function "{schema}".park_appends();
        """);

    private static async Task<int> ParkedWritersAsync(NpgsqlDataSource dataSource) =>
        (int)(long)(await dataSource.ScalarAsync($"select count(*) from pg_stat_activity where application_name = '{WriterApplication}' and wait_event_type = 'Lock' and wait_event = 'advisory'"))!;

    private static void Report(string name, StressReport report, ConcurrentDictionary<string, int> seen)
    {
        var errors = string.Join(", ", seen.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"));
        TestContext.Current.TestOutputHelper?.WriteLine($"{name}: {report}; errors: {errors}");
        TestContext.Current.SendDiagnosticMessage($"faults {name}: {report}; errors: {errors}");
    }

    [Fact]
    public async Task The_server_restarted_mid_load_loses_duplicates_and_reorders_nothing()
    {
        Assert.True(PostgresServer.HasLocalBinaries, "A server restart needs local PostgreSQL binaries (/usr/lib/postgresql/*/bin) for a dedicated throwaway cluster; install the postgresql package.");
        await using var server = await PostgresServer.StartLocalAsync(Ct);
        var connectionString = await server.CreateDatabaseAsync("fault_restart", Ct);
        await using var readers = NpgsqlDataSource.Create(connectionString);
        await using var writers = WriterDataSource(connectionString);
        var options = new PostgresOptions { Schema = "fault_restart" };
        await new PostgresSchemaInitializer(readers, options).ApplyAsync(Ct);
        var seen = new ConcurrentDictionary<string, int>();
        var workload = new StressWorkload(
            Options(seen),
            new PostgresEventStore(writers, TestSupport.NewRegistry(), options),
            new PostgresEventStore(readers, TestSupport.NewRegistry(), options),
            new PostgresProjectionStore(readers, TestSupport.NewRegistry(), options));
        var unknownBeforeRestart = 0L;

        var report = await workload.RunAsync(async w =>
        {
            await w.WaitForAppendsAsync(w.TotalAppends / 3);
            unknownBeforeRestart = w.UnknownOutcomes;
            await server.RestartAsync(TimeSpan.FromMilliseconds(500), Ct);
        });

        Report("restart", report, seen);
        Assert.Equal(0, unknownBeforeRestart);
        Assert.True(report.UnknownOutcomes > 0, $"The restart interrupted no append: {report}");
    }

    [Fact]
    public async Task Connections_killed_mid_append_under_load_lose_duplicate_and_reorder_nothing()
    {
        var options = await fixture.CreateSchemaAsync("fault_kill");
        const long Key = 5151;
        await InstallParkingTriggerAsync(fixture.DataSource, options.Schema, Key);
        await using var writers = WriterDataSource(fixture.ConnectionString);
        var seen = new ConcurrentDictionary<string, int>();
        var workload = new StressWorkload(
            Options(seen),
            new PostgresEventStore(writers, TestSupport.NewRegistry(), options),
            new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options),
            new PostgresProjectionStore(fixture.DataSource, TestSupport.NewRegistry(), options));
        var killed = 0;

        var report = await workload.RunAsync(async w =>
        {
            foreach (var at in new[] { w.TotalAppends / 4, w.TotalAppends / 2 })
            {
                await w.WaitForAppendsAsync(at);

                // Park the appends in flight (each has written its stream row, not yet its events), then kill them.
                await using var locker = await fixture.DataSource.OpenConnectionAsync(Ct);
                await using var hold = await locker.BeginTransactionAsync(Ct);
                await using (var take = new NpgsqlCommand($"select pg_advisory_xact_lock({Key})", locker, hold))
                {
                    await take.ExecuteNonQueryAsync(Ct);
                }

                await TestSupport.WaitUntilAsync(async () => await ParkedWritersAsync(fixture.DataSource) >= 4);
                killed += (int)(long)(await fixture.DataSource.ScalarAsync(
                    $"select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity where application_name = '{WriterApplication}' and wait_event_type = 'Lock' and wait_event = 'advisory') as t"))!;
                await hold.RollbackAsync(Ct);
            }
        });

        Report("kill", report, seen);
        Assert.True(killed >= 8, $"killed {killed}");
        Assert.True(report.UnknownOutcomes >= 8, $"{report}, killed {killed}");
        Assert.True(seen.GetValueOrDefault(PostgresErrorCodes.AdminShutdown) > 0, string.Join(", ", seen));
    }

    [Fact]
    public async Task Statements_timing_out_under_load_lose_duplicate_and_reorder_nothing()
    {
        var options = await fixture.CreateSchemaAsync("fault_timeout");
        const long Key = 5252;
        await InstallParkingTriggerAsync(fixture.DataSource, options.Schema, Key);

        // A server-side statement timeout on the writers' sessions only.
        await using var writers = WriterDataSource(fixture.ConnectionString, b => b.Options = "-c statement_timeout=400");
        var seen = new ConcurrentDictionary<string, int>();
        var workload = new StressWorkload(
            Options(seen),
            new PostgresEventStore(writers, TestSupport.NewRegistry(), options),
            new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options),
            new PostgresProjectionStore(fixture.DataSource, TestSupport.NewRegistry(), options));

        var report = await workload.RunAsync(async w =>
        {
            await w.WaitForAppendsAsync(w.TotalAppends / 3);
            await using var locker = await fixture.DataSource.OpenConnectionAsync(Ct);
            await using var hold = await locker.BeginTransactionAsync(Ct);
            await using (var take = new NpgsqlCommand($"select pg_advisory_xact_lock({Key})", locker, hold))
            {
                await take.ExecuteNonQueryAsync(Ct);
            }

            // Held until the parked appends have timed out (57014) several times over.
            await TestSupport.WaitUntilAsync(() => Task.FromResult(seen.GetValueOrDefault(PostgresErrorCodes.QueryCanceled) >= 8));
            await hold.RollbackAsync(Ct);
        });

        Report("timeout", report, seen);
        Assert.True(seen.GetValueOrDefault(PostgresErrorCodes.QueryCanceled) >= 8);
    }

    /// <summary>
    /// Replies of committed appends lost under load (the writers connect through a
    /// <see cref="LostReplyProxy"/>): the retries must be recognised as already appended, whatever the
    /// others wrote in between. Needs the duplicate-id rule (an id at most once per stream, wherever the
    /// retry lands): a retry with Any, or with a reloaded Exactly(n) after a conflict, lands after other
    /// writers' events and is otherwise written a second time. To make that case certain rather than
    /// likely, another writer appends to the stream after every unknown outcome, before the retry.
    /// </summary>
    [Fact]
    public async Task Replies_of_committed_appends_lost_under_load_are_retried_without_duplicates()
    {
        var options = await fixture.CreateSchemaAsync("fault_lost_reply");
        await using var proxy = new LostReplyProxy(fixture.ConnectionString);
        await using var writers = WriterDataSource(proxy.ConnectionString);
        var seen = new ConcurrentDictionary<string, int>();
        var workload = new StressWorkload(
            Options(seen, intervene: true),
            new PostgresEventStore(writers, TestSupport.NewRegistry(), options),
            new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options),
            new PostgresProjectionStore(fixture.DataSource, TestSupport.NewRegistry(), options));
        const int Drops = 12;

        var report = await workload.RunAsync(async w =>
        {
            await w.WaitForAppendsAsync(w.TotalAppends / 5);
            proxy.ArmDropAfterCommit(Drops);
            while (proxy.Dropped < Drops && w.AcknowledgedAppends < w.TotalAppends)
            {
                await Task.Delay(5, Ct);
            }

            proxy.Disarm();
        });

        Report("lost-replies", report, seen);
        // Usually all 12 replies are dropped; on a starved machine the writers may finish first. Either
        // way at least one committed append lost its reply, and RunAsync checked that each was stored once.
        Assert.InRange(proxy.Dropped, 1, Drops);
        Assert.True(report.UnknownThenCommitted > 0, report.ToString());
    }
}
