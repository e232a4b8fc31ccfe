using EventSourcing.Testing;
using EventSourcing.Projections;
using EventSourcing.Testing.Postgres;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// The projection daemon on PostgreSQL under real faults, with a SQL read model written in the daemon's
/// unit of work: a killed connection, a server restart, two instances. Each ends with the read model
/// equal to a fresh full replay and every event applied exactly once.
/// </summary>
public sealed class DaemonRobustnessTests(PostgresFixture fixture)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestSupport.Ct;

    private static ProjectionOptions Fast(int batch) => new()
    {
        BatchSize = batch,
        PollInterval = TimeSpan.FromMilliseconds(50),
        RetryBackoff = TimeSpan.FromMilliseconds(20),
        MaxRetries = 3,
        StoreErrorBackoff = TimeSpan.FromMilliseconds(200),
    };

    [Fact]
    public async Task Terminating_the_daemons_connections_in_the_middle_of_a_batch_loses_nothing_and_applies_nothing_twice()
    {
        var options = await fixture.CreateSchemaAsync("kill_daemon");
        var table = $"\"{options.Schema}\".applied";
        await fixture.DataSource.ExecuteAsync(AppliedEventsProjection.CreateTable(table));
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        await AppendAsync(store, streams: 4, perStream: 50);

        var applicationName = "es-daemon-" + Guid.NewGuid().ToString("N")[..8];
        await using var daemonSource = new NpgsqlDataSourceBuilder(fixture.ConnectionString) { ConnectionStringBuilder = { ApplicationName = applicationName } }.Build();
        var projection = new AppliedEventsProjection(table);
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = 0;
        projection.BeforeApply = async (_, _) =>
        {
            // The 120th delivery is the 20th event of the third batch of 50: 19 rows are written, uncommitted.
            if (Interlocked.Increment(ref delivered) == 120)
            {
                parked.SetResult();
                await release.Task;
            }
        };

        var daemonStore = new PostgresEventStore(daemonSource, TestSupport.NewRegistry(), options);
        var projections = new PostgresProjectionStore(daemonSource, TestSupport.NewRegistry(), options);
        await using var daemon = new ProjectionDaemon(daemonStore, projections, [projection], Fast(batch: 50), new TestOutputLogger<ProjectionDaemon>());
        await daemon.StartAsync(Ct);
        await parked.Task.WaitAsync(Generous, Ct);

        // The unit of work is open (its rows written, not committed) when every connection of the daemon
        // — that one and the idle ones in its pool (the lease is a row: it holds none) — is terminated.
        // A failed check still releases the handler, so the daemon can stop and the test ends.
        try
        {
            Assert.Equal(1L, await fixture.DataSource.ScalarAsync("select count(*) from pg_stat_activity where application_name = $1 and state = 'idle in transaction'", applicationName));
            Assert.Equal(100L, await fixture.DataSource.ScalarAsync($"select count(*) from {table}"));
            var killed = await fixture.DataSource.ScalarAsync("select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = $1", applicationName);
            Assert.True(killed is >= 1L, $"terminated {killed}");
        }
        finally
        {
            release.TrySetResult();
        }

        var head = await store.GetHeadPositionAsync(Ct);
        await daemon.WaitForPositionAsync(projection.Name, head, Ct).WaitAsync(Generous, Ct);
        await AppliedEventsProjection.AssertEqualsFullReplayAsync(fixture.DataSource, store, table);
        await TestSupport.WaitUntilAsync(() => Task.FromResult(daemon.GetStatus(projection.Name).State == ProjectionState.Live)).WaitAsync(Generous, Ct);
        Assert.Empty(await projections.GetDeadLettersAsync(projection.Name, Ct));
    }

    [Fact]
    public async Task The_daemon_survives_a_server_restart_resumes_from_its_checkpoint_and_applies_nothing_twice()
    {
        // Never skipped: a restart needs a dedicated throwaway cluster, so this test requires the local
        // binaries (.ci/run installs the postgresql package when they are missing).
        Assert.True(PostgresServer.HasLocalBinaries, "A server restart needs local PostgreSQL binaries (/usr/lib/postgresql/*/bin) for a dedicated throwaway cluster; install the postgresql package.");
        await using var server = await PostgresServer.StartLocalAsync(Ct);
        var connectionString = await server.CreateDatabaseAsync("restart", Ct);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var options = new PostgresOptions { Schema = "restart" };
        await new PostgresSchemaInitializer(dataSource, options).ApplyAsync(Ct);
        var table = "\"restart\".applied";
        await dataSource.ExecuteAsync(AppliedEventsProjection.CreateTable(table));
        var store = new PostgresEventStore(dataSource, TestSupport.NewRegistry(), options);
        await AppendAsync(store, streams: 3, perStream: 100);

        // The reader is its own process (DI, notifications on) and polls only every 30 s: after the
        // restart it resumes through its store-error back-off, and sees later appends through its
        // re-established listener.
        var projection = new AppliedEventsProjection(table);
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = 0;
        projection.BeforeApply = async (_, _) =>
        {
            if (Interlocked.Increment(ref delivered) == 130)
            {
                parked.SetResult();
                await release.Task;
            }
        };

        await using var reader = await TestProcess.StartAsync(connectionString, options.Schema, projection, o =>
        {
            o.BatchSize = 50;
            o.PollInterval = TimeSpan.FromSeconds(30);
            o.RetryBackoff = TimeSpan.FromMilliseconds(20);
            o.StoreErrorBackoff = TimeSpan.FromMilliseconds(200);
        });
        await parked.Task.WaitAsync(Generous, Ct);
        var checkpointBefore = reader.Daemon.GetStatus(projection.Name).Checkpoint;
        Assert.NotNull(checkpointBefore);

        await server.RestartAsync(TimeSpan.FromSeconds(1), Ct);
        release.SetResult();

        // The test's own pool is as stale as the daemon's; the test is not what is under test.
        dataSource.Clear();
        var head = await store.GetHeadPositionAsync(Ct);
        await reader.Daemon.WaitForPositionAsync(projection.Name, head, Ct).WaitAsync(Generous, Ct);

        // Later appends, from a process of their own, reach the reader through NOTIFY.
        await using var writer = await TestProcess.StartAsync(connectionString, options.Schema);
        var late = await writer.Store.AppendAsync(TestData.NewStream("late"), ExpectedVersion.NoStream, TestData.Increments(5), Ct);
        await reader.Daemon.WaitForPositionAsync(projection.Name, late.Position, Ct).WaitAsync(Generous, Ct);

        await AppliedEventsProjection.AssertEqualsFullReplayAsync(dataSource, store, table);
        Assert.Equal(305L, await dataSource.ScalarAsync($"select count(*) from {table}"));
        await TestSupport.WaitUntilAsync(() => Task.FromResult(reader.Daemon.GetStatus(projection.Name).State == ProjectionState.Live)).WaitAsync(Generous, Ct);
    }

    [Fact]
    public async Task Two_daemons_in_two_processes_never_run_one_projection_at_once_and_the_standby_takes_over()
    {
        var options = await fixture.CreateSchemaAsync("two_daemons");
        var table = $"\"{options.Schema}\".applied";
        await fixture.DataSource.ExecuteAsync(AppliedEventsProjection.CreateTable(table));
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        await AppendAsync(store, streams: 3, perStream: 100);

        var probe = new ConcurrencyProbe();
        var slowly = (Func<EventEnvelope, CancellationToken, Task>)((_, ct) => Task.Delay(5, ct));
        var first = new AppliedEventsProjection(table, "first") { Probe = probe, BeforeApply = slowly };
        var second = new AppliedEventsProjection(table, "second") { Probe = probe, BeforeApply = slowly };
        static void Options(ProjectionOptions o)
        {
            o.BatchSize = 20;
            o.PollInterval = TimeSpan.FromMilliseconds(100);
            o.StoreErrorBackoff = TimeSpan.FromMilliseconds(200);
        }

        await using var a = await TestProcess.StartAsync(fixture.ConnectionString, options.Schema, first, Options);
        await TestSupport.WaitUntilAsync(() => Task.FromResult(a.Daemon.GetStatus(first.Name).State is ProjectionState.CatchingUp or ProjectionState.Live));
        await using var b = await TestProcess.StartAsync(fixture.ConnectionString, options.Schema, second, Options);
        await TestSupport.WaitUntilAsync(() => Task.FromResult(b.Daemon.GetStatus(second.Name).State == ProjectionState.Standby));

        // The active host stops part-way through the catch-up; the standby takes over from its checkpoint.
        await TestSupport.WaitUntilAsync(async () => await fixture.DataSource.ScalarAsync($"select count(*) from {table}") is >= 100L);
        Assert.Equal(ProjectionState.Standby, b.Daemon.GetStatus(second.Name).State);
        await a.DisposeAsync();
        var appliedByFirst = (long)(await fixture.DataSource.ScalarAsync($"select count(*) from {table}"))!;
        Assert.InRange(appliedByFirst, 100, 299);

        var more = await store.AppendAsync(TestData.NewStream("after-takeover"), ExpectedVersion.NoStream, TestData.Increments(10), Ct);
        await b.Daemon.WaitForPositionAsync(second.Name, more.Position, Ct).WaitAsync(Generous, Ct);

        var perInstance = await AppliedEventsProjection.AssertEqualsFullReplayAsync(fixture.DataSource, store, table);
        Assert.Equal(appliedByFirst, perInstance["first"]);
        Assert.Equal(310 - appliedByFirst, perInstance["second"]);
        Assert.Equal(1, probe.MaxConcurrency);
    }

    private static async Task AppendAsync(PostgresEventStore store, int streams, int perStream)
    {
        for (var s = 0; s < streams; s++)
        {
            var stream = TestData.NewStream($"robust{s}");
            for (var written = 0; written < perStream; written += 10)
            {
                await store.AppendAsync(stream, ExpectedVersion.Exactly(written), TestData.Increments(10, written + 1), Ct);
            }
        }
    }
}
