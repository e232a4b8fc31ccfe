using EventSourcing.Aggregates;
using EventSourcing.Testing;
using EventSourcing.InMemory;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EventSourcing.Core.Tests;

public sealed class DependencyInjectionTests
{
    [Fact]
    public async Task AddEventSourcing_with_nothing_else_gives_working_in_memory_stores_and_repositories()
    {
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es
            .UseJsonOptions(ConformanceJsonContext.Default.Options)
            .AddEvent<Incremented>("incremented")
            .AddEvent<Noted>("noted")
            .UseSnapshots(SnapshotPolicy.Every(2)));
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<InMemoryEventStore>(provider.GetRequiredService<IEventStore>());
        Assert.IsType<InMemorySnapshotStore>(provider.GetRequiredService<ISnapshotStore>());
        Assert.IsType<InMemoryCheckpointStore>(provider.GetRequiredService<ICheckpointStore>());
        var repository = provider.GetRequiredService<AggregateRepository<Counter>>();
        var stream = TestData.NewStream();
        await repository.ExecuteAsync(stream, c => { c.Increment(2); c.Increment(3); }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(5, (await provider.GetRequiredService<AggregateRepository<Counter>>().LoadAsync(stream, TestContext.Current.CancellationToken)).Total);
        Assert.Equal(2, (await provider.GetRequiredService<ISnapshotStore>().LoadAsync(stream, TestContext.Current.CancellationToken))!.Version);
    }

    [Fact]
    public void A_store_registered_before_AddEventSourcing_is_kept()
    {
        var services = new ServiceCollection();
        var mine = new InMemoryCheckpointStore();
        services.AddSingleton<ICheckpointStore>(mine);
        services.AddEventSourcing();
        using var provider = services.BuildServiceProvider();
        Assert.Same(mine, provider.GetRequiredService<ICheckpointStore>());
    }
}
