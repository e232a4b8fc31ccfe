using EventSourcing.Projections;
using EventSourcing.Testing;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// Leases that are lost while their runner is in the middle of a unit of work: the runner never commits
/// again under the old lease, whether it notices at its next renewal or only at its commit's epoch
/// fence, and the read model ends equal to a full replay with every event applied exactly once. Every
/// interleaving is forced: handlers park on gates, the test moves the lease row.
/// </summary>
public sealed class LeaseFaultTests(PostgresFixture fixture)
{
    private const string Name = "applied-events";
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private static CancellationToken Ct => TestSupport.Ct;

    private static ProjectionOptions Fast() => new()
    {
        BatchSize = 50,
        PollInterval = TimeSpan.FromMilliseconds(50),
        RetryBackoff = TimeSpan.FromMilliseconds(10),
        MaxRetries = 2,
        StoreErrorBackoff = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public async Task A_runner_whose_lease_is_taken_over_mid_batch_fails_its_commit_on_the_epoch_fence_and_the_new_holder_applies_each_event_once()
    {
        var (options, table, store) = await SetUpAsync("taken_over");

        // A renews only every 200 s: in this test it learns of the takeover at its commit, from the fence.
        var slow = new PostgresOptions { Schema = options.Schema, ProjectionLeaseDuration = TimeSpan.FromMinutes(10) };
        await using var sourceA = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var sourceB = NpgsqlDataSource.Create(fixture.ConnectionString);
        var first = new AppliedEventsProjection(table, "a");
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = 0;
        first.BeforeApply = async (_, _) =>
        {
            // The 70th delivery is the 20th event of the second batch: 19 rows written, not committed.
            if (Interlocked.Increment(ref delivered) == 70)
            {
                parked.SetResult();
                await release.Task;
            }
        };

        await using var a = new ProjectionDaemon(new PostgresEventStore(sourceA, TestSupport.NewRegistry(), slow), new PostgresProjectionStore(sourceA, TestSupport.NewRegistry(), slow), [first], Fast(), new TestOutputLogger<ProjectionDaemon>());
        await a.StartAsync(Ct);
        await parked.Task.WaitAsync(Generous, Ct);
        var epochOfA = await EpochAsync(options);

        // A stalls past its lease (a long pause, a partition): its row expires and B takes it.
        var second = new AppliedEventsProjection(table, "b");
        await using var b = new ProjectionDaemon(new PostgresEventStore(sourceB, TestSupport.NewRegistry(), slow), new PostgresProjectionStore(sourceB, TestSupport.NewRegistry(), slow), [second], Fast(), new TestOutputLogger<ProjectionDaemon>());
        try
        {
            await ExpireAsync(options);
            await b.StartAsync(Ct);
            await TestSupport.WaitUntilAsync(async () => await EpochAsync(options) > epochOfA).WaitAsync(Generous, Ct);
        }
        finally
        {
            // B's inserts wait for A's uncommitted rows of the same events; A goes on to its commit now.
            release.TrySetResult();
        }

        var head = await store.GetHeadPositionAsync(Ct);
        await b.WaitForPositionAsync(Name, head, Ct).WaitAsync(Generous, Ct);
        var perInstance = await AppliedEventsProjection.AssertEqualsFullReplayAsync(fixture.DataSource, store, table);
        Assert.Equal(50, perInstance["a"]);
        Assert.Equal(150, perInstance["b"]);

        // A lost at its fence, stands by, and follows B's checkpoint from the store.
        await a.WaitForPositionAsync(Name, head, Ct).WaitAsync(Generous, Ct);
        await TestSupport.WaitUntilAsync(() => Task.FromResult(a.GetStatus(Name).State == ProjectionState.Standby)).WaitAsync(Generous, Ct);
        Assert.Equal(ProjectionState.Live, b.GetStatus(Name).State);
    }

    [Fact]
    public async Task A_lease_whose_row_is_taken_is_marked_lost_at_its_next_renewal_and_its_runner_stops_before_committing_then_takes_it_back()
    {
        var (options, table, store) = await SetUpAsync("renewal_lost");
        var quick = new PostgresOptions { Schema = options.Schema, ProjectionLeaseDuration = TimeSpan.FromSeconds(1) };
        await using var source = NpgsqlDataSource.Create(fixture.ConnectionString);
        var projection = new AppliedEventsProjection(table, "a");
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = 0;
        projection.BeforeApply = async (_, ct) =>
        {
            if (Interlocked.Increment(ref delivered) == 70)
            {
                parked.SetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    cancelled.SetResult();
                    throw;
                }
            }
        };

        var projections = new PostgresProjectionStore(source, TestSupport.NewRegistry(), quick);
        await using var daemon = new ProjectionDaemon(new PostgresEventStore(source, TestSupport.NewRegistry(), quick), projections, [projection], Fast(), new TestOutputLogger<ProjectionDaemon>());
        await daemon.StartAsync(Ct);
        await parked.Task.WaitAsync(Generous, Ct);
        var epoch = await EpochAsync(options);

        // Another holder takes the row (as one would after an expiry this instance did not see).
        await fixture.DataSource.ExecuteAsync($"update \"{options.Schema}\".projection_leases set holder = gen_random_uuid(), epoch = epoch + 1, expires_at = clock_timestamp() + interval '1 hour' where name = '{Name}'");

        // The next renewal finds the row taken: the lease is lost, and the handler's token is cancelled.
        await cancelled.Task.WaitAsync(Generous, Ct);
        await TestSupport.WaitUntilAsync(() => Task.FromResult(daemon.GetStatus(Name).State == ProjectionState.Standby)).WaitAsync(Generous, Ct);
        Assert.Equal(50L, await fixture.DataSource.ScalarAsync($"select count(*) from {table}"));
        var firstBatchEnd = (await store.ReadAllListAsync(GlobalPosition.Start, 50))[^1].Position;
        Assert.Equal(firstBatchEnd, await new PostgresCheckpointStore(fixture.DataSource, options).LoadAsync(Name, Ct));

        // The other holder goes away: this instance takes the lease back, with a newer epoch, and finishes.
        await ExpireAsync(options);
        var head = await store.GetHeadPositionAsync(Ct);
        await daemon.WaitForPositionAsync(Name, head, Ct).WaitAsync(Generous, Ct);
        var perInstance = await AppliedEventsProjection.AssertEqualsFullReplayAsync(fixture.DataSource, store, table);
        Assert.Equal(200, perInstance["a"]);
        Assert.Equal(epoch + 2, await EpochAsync(options));
    }

    [Fact]
    public async Task Two_rebuilds_at_once_one_is_refused_and_a_stalled_one_whose_lease_was_taken_cannot_commit_past_the_new_one()
    {
        var (options, _, store) = await SetUpAsync("two_rebuilds");
        var slow = new PostgresOptions { Schema = options.Schema, ProjectionLeaseDuration = TimeSpan.FromMinutes(10) };
        await using var sourceA = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var sourceB = NpgsqlDataSource.Create(fixture.ConnectionString);
        var first = new TotalsProjection("totals");
        var second = new TotalsProjection("totals");
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = 0;
        first.BeforeApply = async (_, _) =>
        {
            if (Interlocked.Increment(ref delivered) == 70)
            {
                parked.SetResult();
                await release.Task;
            }
        };

        await using var a = new ProjectionDaemon(new PostgresEventStore(sourceA, TestSupport.NewRegistry(), slow), new PostgresProjectionStore(sourceA, TestSupport.NewRegistry(), slow), [first], Fast());
        await using var b = new ProjectionDaemon(new PostgresEventStore(sourceB, TestSupport.NewRegistry(), slow), new PostgresProjectionStore(sourceB, TestSupport.NewRegistry(), slow), [second], Fast());
        var rebuildA = a.RebuildAsync("totals", cancellationToken: Ct);
        try
        {
            await parked.Task.WaitAsync(Generous, Ct);

            // While A rebuilds, B's rebuild is refused.
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => b.RebuildAsync("totals", cancellationToken: Ct));
            Assert.Contains("already running", refused.Message, StringComparison.Ordinal);

            // A stalls past its lease: B's rebuild takes the rebuild lease over and completes, swap included.
            await fixture.DataSource.ExecuteAsync($"update \"{options.Schema}\".projection_leases set expires_at = clock_timestamp() - interval '1 second' where name = 'totals:rebuild'");
            Assert.Equal(200L, await b.RebuildAsync("totals", cancellationToken: Ct).WaitAsync(Generous, Ct));
        }
        finally
        {
            release.TrySetResult();
        }

        // A wakes up: its next commit is fenced off, so it moves neither the shadow's checkpoint nor the live one.
        await Assert.ThrowsAsync<LeaseLostException>(() => rebuildA.WaitAsync(Generous, Ct));
        var checkpoints = new PostgresCheckpointStore(fixture.DataSource, options);
        var head = await store.GetHeadPositionAsync(Ct);
        Assert.Equal(head, await checkpoints.LoadAsync("totals", Ct));
        Assert.Equal(head, await checkpoints.LoadAsync("totals:rebuild", Ct));
        foreach (var stream in (await store.ReadAllListAsync(GlobalPosition.Start)).Select(e => e.StreamId).Distinct())
        {
            Assert.Equal(Enumerable.Range(1, 50).Sum(), second.TotalOf(stream));
        }

        Assert.Equal(0, first.TotalOf((await store.ReadAllListAsync(GlobalPosition.Start, 1))[0].StreamId));
    }

    private async Task<(PostgresOptions Options, string Table, PostgresEventStore Store)> SetUpAsync(string schema)
    {
        var options = await fixture.CreateSchemaAsync(schema);
        var table = $"\"{options.Schema}\".applied";
        await fixture.DataSource.ExecuteAsync(AppliedEventsProjection.CreateTable(table));
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        for (var s = 0; s < 4; s++)
        {
            await store.AppendAsync(TestData.NewStream($"lease{s}"), ExpectedVersion.NoStream, TestData.Increments(50), Ct);
        }

        return (options, table, store);
    }

    private async Task<long> EpochAsync(PostgresOptions options) =>
        (long)(await fixture.DataSource.ScalarAsync($"select epoch from \"{options.Schema}\".projection_leases where name = '{Name}'"))!;

    private Task<int> ExpireAsync(PostgresOptions options) =>
        fixture.DataSource.ExecuteAsync($"update \"{options.Schema}\".projection_leases set expires_at = clock_timestamp() - interval '1 second' where name = '{Name}'");
}
