using EventSourcing.Projections;
using EventSourcing.Storage;
using EventSourcing.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace EventSourcing.Core.Tests;

/// <summary>The health checks of AddEventSourcing, run by the real health check service on the in-memory store and daemon.</summary>
public sealed class HealthCheckTests
{
    private const string Subscription = "health-subscription";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_reachable_store_and_a_caught_up_projection_are_healthy()
    {
        await using var app = Build(handler: (_, _) => ValueTask.CompletedTask);
        await app.Daemon.StartAsync(Ct);
        var appended = await app.Store.AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, TestData.Increments(3), Ct);
        await app.Daemon.WaitForPositionAsync(Subscription, appended.Position, Ct);

        var report = await app.CheckAsync();

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries[EventSourcingHealthChecksBuilderExtensions.StoreCheckName].Status);
        var projections = report.Entries[EventSourcingHealthChecksBuilderExtensions.ProjectionsCheckName];
        Assert.Equal(HealthStatus.Healthy, projections.Status);
        Assert.Equal(0L, projections.Data[Subscription + ".lag"]);
        Assert.Equal(["ready"], projections.Tags);
    }

    [Fact]
    public async Task A_projection_behind_by_more_than_the_thresholds_is_degraded_then_unhealthy_and_healthy_again_once_caught_up()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = Build(
            handler: async (_, ct) =>
            {
                entered.TrySetResult();
                await gate.Task.WaitAsync(ct);
            },
            o => { o.DegradedLag = 2; o.UnhealthyLag = 10; });
        await app.Daemon.StartAsync(Ct);
        var stream = TestData.NewStream();
        await app.Store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        await entered.Task.WaitAsync(Ct); // the handler is parked on the first event; nothing is committed

        await app.Store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1), Ct);
        Assert.Equal(HealthStatus.Healthy, (await app.CheckAsync()).Status); // 2 behind: not more than 2

        await app.Store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(4), Ct);
        var degraded = (await app.CheckAsync()).Entries[EventSourcingHealthChecksBuilderExtensions.ProjectionsCheckName];
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Equal(6L, degraded.Data[Subscription + ".lag"]);
        Assert.Contains(Subscription, degraded.Description, StringComparison.Ordinal);

        var last = await app.Store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(5), Ct);
        var unhealthy = await app.CheckAsync();
        Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
        Assert.Equal(11L, unhealthy.Entries[EventSourcingHealthChecksBuilderExtensions.ProjectionsCheckName].Data[Subscription + ".lag"]);
        Assert.Equal(HealthStatus.Healthy, unhealthy.Entries[EventSourcingHealthChecksBuilderExtensions.StoreCheckName].Status);

        gate.SetResult();
        await app.Daemon.WaitForPositionAsync(Subscription, last.Position, Ct);
        var caughtUp = await app.CheckAsync();
        Assert.Equal(HealthStatus.Healthy, caughtUp.Status);
        Assert.Equal(0L, caughtUp.Entries[EventSourcingHealthChecksBuilderExtensions.ProjectionsCheckName].Data[Subscription + ".lag"]);
    }

    [Fact]
    public async Task A_failed_projection_is_unhealthy_with_its_error()
    {
        await using var app = Build(handler: (_, _) => throw new InvalidOperationException("boom"), configureProjections: o => o.MaxRetries = 0);
        await app.Daemon.StartAsync(Ct);
        var appended = await app.Store.AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        await Assert.ThrowsAsync<ProjectionFailedException>(() => app.Daemon.WaitForPositionAsync(Subscription, appended.Position, Ct));

        var report = await app.CheckAsync();

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        var entry = report.Entries[EventSourcingHealthChecksBuilderExtensions.ProjectionsCheckName];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal(nameof(ProjectionState.Faulted), entry.Data[Subscription + ".state"]);
        Assert.Contains("failed", entry.Description, StringComparison.Ordinal);
        Assert.IsType<ProjectionFailedException>(entry.Exception);
    }

    [Fact]
    public async Task A_daemon_that_is_not_running_is_unhealthy()
    {
        await using var app = Build(handler: (_, _) => ValueTask.CompletedTask);

        var entry = (await app.CheckAsync()).Entries[EventSourcingHealthChecksBuilderExtensions.ProjectionsCheckName];

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("not running", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_standby_node_is_healthy_however_far_behind_the_log_is()
    {
        await using var app = Build(handler: (_, _) => ValueTask.CompletedTask, o => { o.DegradedLag = 0; o.UnhealthyLag = 0; });
        await app.Store.AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, TestData.Increments(5), Ct);
        var lease = await app.Provider.GetRequiredService<IProjectionStore>().TryAcquireLeaseAsync(Subscription, Ct); // another node holds it
        Assert.NotNull(lease);
        await app.Daemon.StartAsync(Ct);
        while (app.Daemon.GetStatus(Subscription).State != ProjectionState.Standby)
        {
            await Task.Delay(10, Ct);
        }

        var entry = (await app.CheckAsync()).Entries[EventSourcingHealthChecksBuilderExtensions.ProjectionsCheckName];

        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(nameof(ProjectionState.Standby), entry.Data[Subscription + ".state"]);
        await lease.DisposeAsync();
    }

    [Fact]
    public async Task Without_async_projections_the_projection_check_is_healthy()
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddEventSourcing(es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented"));
        services.AddHealthChecks().AddEventSourcing();
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(2, report.Entries.Count);
    }

    [Fact]
    public void Thresholds_out_of_order_are_refused_at_registration()
    {
        var builder = new ServiceCollection().AddHealthChecks();

        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddEventSourcing(o => { o.DegradedLag = 10; o.UnhealthyLag = 5; }));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddEventSourcing(o => o.DegradedLag = -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddEventSourcing(o => o.Timeout = TimeSpan.Zero));
    }

    private static App Build(Func<EventEnvelope, CancellationToken, ValueTask> handler, Action<EventSourcingHealthCheckOptions>? configure = null, Action<ProjectionOptions>? configureProjections = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddEventSourcing(es =>
        {
            es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented").AddSubscription(Subscription, ["incremented"], handler);
            es.ProjectionOptions.RetryBackoff = TimeSpan.Zero;
            configureProjections?.Invoke(es.ProjectionOptions);
        });
        services.AddHealthChecks().AddEventSourcing(configure);
        return new App(services.BuildServiceProvider());
    }

    private sealed class App(ServiceProvider provider) : IAsyncDisposable
    {
        public ServiceProvider Provider { get; } = provider;

        public IEventStore Store => Provider.GetRequiredService<IEventStore>();

        public ProjectionDaemon Daemon => Provider.GetRequiredService<ProjectionDaemon>();

        public Task<HealthReport> CheckAsync() => Provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);

        public async ValueTask DisposeAsync()
        {
            await Daemon.StopAsync(CancellationToken.None);
            await Provider.DisposeAsync();
        }
    }
}
