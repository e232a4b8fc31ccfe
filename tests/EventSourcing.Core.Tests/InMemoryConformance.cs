using EventSourcing.Testing;
using EventSourcing.InMemory;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourcing.Core.Tests;

public sealed class InMemoryEventStoreConformance : EventStoreConformance
{
    protected override ValueTask<IEventStore> CreateEventStoreAsync(EventTypeRegistry registry, TimeProvider timeProvider) =>
        ValueTask.FromResult<IEventStore>(new InMemoryEventStore(registry, timeProvider));
}

public sealed class InMemorySnapshotStoreConformance : SnapshotStoreConformance
{
    protected override ValueTask<ISnapshotStore> CreateSnapshotStoreAsync() => ValueTask.FromResult<ISnapshotStore>(new InMemorySnapshotStore());
}

public sealed class InMemoryCheckpointStoreConformance : CheckpointStoreConformance
{
    protected override ValueTask<ICheckpointStore> CreateCheckpointStoreAsync() => ValueTask.FromResult<ICheckpointStore>(new InMemoryCheckpointStore());
}

public sealed class InMemoryRepositoryConformance : RepositoryConformance
{
    protected override ValueTask<(IEventStore Events, ISnapshotStore Snapshots)> CreateStoresAsync(EventTypeRegistry registry, TimeProvider timeProvider) =>
        ValueTask.FromResult<(IEventStore, ISnapshotStore)>((new InMemoryEventStore(registry, timeProvider), new InMemorySnapshotStore()));
}

public sealed class InMemoryProjectionConformance : ProjectionConformance
{
    protected override ValueTask<(IEventStore Events, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry, IReadOnlyList<IProjection> inlineProjections)
    {
        var events = new InMemoryEventStore(registry) { InlineProjections = inlineProjections };
        return ValueTask.FromResult<(IEventStore, IProjectionStore)>((events, new InMemoryProjectionStore(events, new InMemoryCheckpointStore())));
    }
}

public sealed class InMemoryStressConformance : StressConformance
{
    // The embedded store is fast enough for a larger bounded run.
    protected override int BoundedAppendsPerWriter => 2_000;

    protected override ValueTask<(IEventStore Events, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry)
    {
        var events = new InMemoryEventStore(registry);
        return ValueTask.FromResult<(IEventStore, IProjectionStore)>((events, new InMemoryProjectionStore(events, new InMemoryCheckpointStore())));
    }
}

public sealed class InMemoryObservability : ObservabilityConformance
{
    protected override string DbSystemName => "memory";

    protected override string StoreSourceName => EventSourcingDiagnostics.SourceName;

    protected override ValueTask<(IEventStore Events, ISnapshotStore Snapshots, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry)
    {
        var events = new InMemoryEventStore(registry);
        return ValueTask.FromResult<(IEventStore, ISnapshotStore, IProjectionStore)>((events, new InMemorySnapshotStore(), new InMemoryProjectionStore(events, new InMemoryCheckpointStore())));
    }
}

public sealed class InMemoryTypedProjectionConformance : TypedProjectionConformance<ProjectionContext>
{
    protected override ValueTask<IServiceProvider> CreateServicesAsync(Action<EventSourcingBuilder> configure) =>
        ValueTask.FromResult<IServiceProvider>(new ServiceCollection().AddEventSourcing(configure).Services.BuildServiceProvider());
}

public sealed class InMemoryDocumentConformance : DocumentConformance
{
    protected override ValueTask<IServiceProvider> CreateServicesAsync(Action<EventSourcingBuilder> configure) =>
        ValueTask.FromResult<IServiceProvider>(new ServiceCollection().AddEventSourcing(configure).Services.BuildServiceProvider());
}
