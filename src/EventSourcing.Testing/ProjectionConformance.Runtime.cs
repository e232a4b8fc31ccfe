using System.Collections.Concurrent;
using EventSourcing.Projections;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>The runtime around projections: lease epochs and fences, restarts, per-projection options, backoff, node modes.</summary>
public abstract partial class ProjectionConformance
{
    [Fact]
    public async Task A_unit_of_work_fenced_on_a_lease_cannot_commit_once_the_name_was_acquired_again()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var appended = await events.AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, TestData.Increments(2), Ct);
        var name = "fenced-" + Guid.NewGuid().ToString("N")[..8];

        var first = await projections.TryAcquireLeaseAsync(name, Ct);
        Assert.NotNull(first);
        Assert.False(first.IsLost);
        Assert.Null(await projections.TryAcquireLeaseAsync(name, Ct));
        await first.DisposeAsync();
        Assert.True(first.IsLost);
        Assert.True(first.Lost.IsCancellationRequested);

        // The same name acquired again, here by the same store (A-B-A): the old epoch is fenced off all the same.
        var second = await projections.TryAcquireLeaseAsync(name, Ct);
        Assert.NotNull(second);
        await using (second)
        {
            Assert.True(second.Epoch > first.Epoch, $"epoch {second.Epoch} after {first.Epoch}");
            var stale = await projections.BeginAsync(name, isRebuild: false, Ct);
            await using (stale)
            {
                await Assert.ThrowsAsync<LeaseLostException>(async () =>
                {
                    await stale.SaveCheckpointAsync(name, null, appended.Position, Ct);
                    await stale.FenceAsync(first, Ct);
                    await stale.CommitAsync(Ct);
                });
            }

            var check = await projections.BeginAsync(name, isRebuild: false, Ct);
            await using (check)
            {
                Assert.Null(await check.LoadCheckpointAsync(name, Ct));
            }

            var current = await projections.BeginAsync(name, isRebuild: false, Ct);
            await using (current)
            {
                await current.SaveCheckpointAsync(name, null, appended.Position, Ct);
                await current.FenceAsync(second, Ct);
                await current.CommitAsync(Ct);
            }

            Assert.Equal(appended.Position, await LoadCheckpointAsync(projections, name));
        }
    }

    [Fact]
    public async Task A_rebuild_is_refused_while_another_holds_the_rebuild_lease_and_the_live_read_model_is_untouched()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var stream = TestData.NewStream();
        var appended = await events.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(5), Ct);
        var projection = new TotalsProjection("rebuilt-once");
        await using var daemon = new ProjectionDaemon(events, projections, [projection], Fast());
        await daemon.StartAsync(Ct);
        await daemon.WaitForPositionAsync("rebuilt-once", appended.Position, Ct);

        var other = await projections.TryAcquireLeaseAsync("rebuilt-once:rebuild", Ct);
        Assert.NotNull(other);
        await using (other)
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => daemon.RebuildAsync("rebuilt-once", cancellationToken: Ct));
            Assert.Contains("already running", refused.Message, StringComparison.Ordinal);
            Assert.Equal(15, projection.TotalOf(stream));
        }

        Assert.Equal(5, await daemon.RebuildAsync("rebuilt-once", cancellationToken: Ct));
        Assert.Equal(15, projection.TotalOf(stream));
    }

    [Fact]
    public async Task A_faulted_projection_restarts_from_its_checkpoint_with_a_fresh_retry_budget()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var stream = TestData.NewStream();
        var appended = await events.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new Incremented(1)), new EventData(new Incremented(666)), new EventData(new Incremented(2))], Ct);
        var projection = new TotalsProjection("restarted") { PoisonAmount = 666 };
        await using var daemon = new ProjectionDaemon(events, projections, [projection], Fast());
        await Assert.ThrowsAsync<InvalidOperationException>(() => daemon.RestartAsync("restarted", Ct));
        await daemon.StartAsync(Ct);

        var head = appended.Position;
        await Assert.ThrowsAsync<ProjectionFailedException>(() => daemon.WaitForPositionAsync("restarted", head, Ct));
        Assert.Equal(ProjectionState.Faulted, daemon.GetStatus("restarted").State);
        Assert.Equal(1, projection.TotalOf(stream));

        projection.PoisonAmount = null; // the cause is fixed (e.g. a deployment)
        await daemon.RestartAsync("restarted", Ct);
        await daemon.WaitForPositionAsync("restarted", head, Ct);

        Assert.Null(daemon.GetStatus("restarted").Error);
        Assert.Equal(669, projection.TotalOf(stream));
        Assert.Equal(3, projection.Applied);
        await daemon.RestartAsync("restarted", Ct); // running: nothing happens
        await Assert.ThrowsAsync<KeyNotFoundException>(() => daemon.RestartAsync("no-such-projection", Ct));
    }

    [Fact]
    public async Task Per_projection_options_override_the_daemon_defaults()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var stream = TestData.NewStream();
        await events.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(40), Ct);
        var appended = await events.AppendAsync(stream, ExpectedVersion.Exactly(40), [new EventData(new Incremented(666)), new EventData(new Incremented(1))], Ct);
        var stopping = new TotalsProjection("uses-defaults") { PoisonAmount = 666 };
        var lettering = new BatchTotalsProjection("overridden");
        lettering.Model.PoisonAmount = 666;
        var options = Fast(ProjectionFailurePolicy.Stop, batch: 1000);
        options.Overrides["overridden"] = new ProjectionOverrides { BatchSize = 10, OnFailure = ProjectionFailurePolicy.DeadLetter, MaxRetries = 0 };

        var typo = Fast();
        typo.Overrides["overriden"] = new ProjectionOverrides { BatchSize = 10 };
        var error = Assert.Throws<ArgumentException>(() => new ProjectionDaemon(events, projections, [lettering], typo));
        Assert.Contains("overriden", error.Message, StringComparison.Ordinal);

        await using var daemon = new ProjectionDaemon(events, projections, [stopping, lettering], options);
        await daemon.StartAsync(Ct);
        var head = appended.Position;
        await daemon.WaitForPositionAsync("overridden", head, Ct);
        await Assert.ThrowsAsync<ProjectionFailedException>(() => daemon.WaitForPositionAsync("uses-defaults", head, Ct));

        Assert.Equal(Enumerable.Range(1, 40).Sum() + 1, lettering.Model.TotalOf(stream));
        Assert.Single(await projections.GetDeadLettersAsync("overridden", Ct));
        Assert.True(lettering.Batches >= 4, $"{lettering.Batches} batches of at most 10 events");
        Assert.Empty(await projections.GetDeadLettersAsync("uses-defaults", Ct));
        Assert.Equal(Enumerable.Range(1, 40).Sum(), stopping.TotalOf(stream));
    }

    [Fact]
    public async Task Retry_backoff_doubles_up_to_its_cap_with_jitter_so_many_retries_never_sleep_for_hours()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var stream = TestData.NewStream();
        var appended = await events.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new Incremented(666))], Ct);
        var projection = new TotalsProjection("backing-off") { PoisonAmount = 666 };
        var options = new ProjectionOptions
        {
            PollInterval = TimeSpan.FromHours(1),
            StoreErrorBackoff = TimeSpan.FromMilliseconds(50),
            MaxRetries = 20,
            RetryBackoff = TimeSpan.FromSeconds(1),
            MaxRetryBackoff = TimeSpan.FromSeconds(8),
        };
        var clock = new RecordingTimeProvider(ignore: options.PollInterval);
        await using var daemon = new ProjectionDaemon(events, projections, [projection], options, logger: null, clock);
        await daemon.StartAsync(Ct);

        var head = appended.Position;
        await Assert.ThrowsAsync<ProjectionFailedException>(() => daemon.WaitForPositionAsync("backing-off", head, Ct));

        var delays = clock.Delays.ToArray();
        Assert.Equal(20, delays.Length);
        for (var i = 0; i < delays.Length; i++)
        {
            var full = TimeSpan.FromSeconds(Math.Min(8, Math.Pow(2, i)));
            Assert.InRange(delays[i], full / 2, full);
        }

        Assert.True(delays.Aggregate(TimeSpan.Zero, (a, b) => a + b) <= TimeSpan.FromSeconds(160));
    }

    [Fact]
    public async Task A_standby_or_disabled_node_answers_status_lag_and_waits_from_the_store()
    {
        var (events, projections) = await CreateBackendAsync(TestData.NewRegistry(), []);
        var streams = Streams(2);
        await AppendSomeAsync(events, streams, 20);
        var running = new TotalsProjection("followed");
        var observing = new TotalsProjection("followed");
        var disabled = new TotalsProjection("followed");
        var standbyOptions = Fast();
        standbyOptions.DaemonMode = ProjectionDaemonMode.Standby;
        var disabledOptions = Fast();
        disabledOptions.DaemonMode = ProjectionDaemonMode.Disabled;
        await using var standby = new ProjectionDaemon(events, projections, [observing], standbyOptions);
        await using var off = new ProjectionDaemon(events, projections, [disabled], disabledOptions);
        await standby.StartAsync(Ct);
        await off.StartAsync(Ct);
        Assert.Equal(40, await standby.GetLagAsync("followed", cancellationToken: Ct));

        await using var leader = new ProjectionDaemon(events, projections, [running], Fast(batch: 7));
        await leader.StartAsync(Ct);
        var expected = await AppendSomeAsync(events, streams, 5, 100);
        var head = expected.Last;
        await standby.WaitForPositionAsync("followed", head, Ct);
        await off.WaitForPositionAsync("followed", head, Ct);

        var status = standby.GetStatus("followed");
        Assert.Equal(ProjectionState.Standby, status.State);
        Assert.True(status.Checkpoint >= head);
        Assert.Equal(0, await standby.GetLagAsync("followed", cancellationToken: Ct));
        Assert.Equal(0, await off.GetLagAsync("followed", cancellationToken: Ct));
        Assert.Equal(ProjectionState.Stopped, off.GetStatus("followed").State);
        Assert.Equal(50, running.Applied);
        Assert.Equal(0, observing.Applied + disabled.Applied);
        foreach (var (stream, total) in expected)
        {
            Assert.Equal(total, running.TotalOf(stream));
        }
    }

    private static async Task<GlobalPosition?> LoadCheckpointAsync(IProjectionStore projections, string name)
    {
        var tx = await projections.BeginAsync(name, isRebuild: false, Ct);
        await using (tx)
        {
            return await tx.LoadCheckpointAsync(name, Ct);
        }
    }

    /// <summary>
    /// A clock whose timers fire at once and record how long they were asked to wait, except timers of
    /// one duration (the poll interval), which run on the real clock.
    /// </summary>
    private sealed class RecordingTimeProvider(TimeSpan ignore) : TimeProvider
    {
        public ConcurrentQueue<TimeSpan> Delays { get; } = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime == ignore || dueTime == Timeout.InfiniteTimeSpan)
            {
                return System.CreateTimer(callback, state, dueTime, period);
            }

            Delays.Enqueue(dueTime);
            return System.CreateTimer(callback, state, TimeSpan.Zero, period);
        }
    }
}
