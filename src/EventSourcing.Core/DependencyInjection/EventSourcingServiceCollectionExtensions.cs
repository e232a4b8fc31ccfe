using EventSourcing.Aggregates;
using EventSourcing.InMemory;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds EventSourcing to a service collection.</summary>
public static class EventSourcingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the event store, snapshot and checkpoint stores, the event type registry and aggregate
    /// repositories. Unless a backend such as <c>UsePostgres</c> is configured, the stores are in memory.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Registers event types and picks the backend.</param>
    /// <returns>The builder, to chain more configuration.</returns>
    public static EventSourcingBuilder AddEventSourcing(this IServiceCollection services, Action<EventSourcingBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new EventSourcingBuilder(services, new EventTypeRegistry(), new RepositoryOptions());
        services.AddSingleton(builder.Events);
        services.AddSingleton(builder.RepositoryOptions);
        services.TryAddSingleton(TimeProvider.System);
        configure?.Invoke(builder);

        // TryAdd: a backend configured above has already registered its own stores.
        services.TryAddSingleton<IEventStore>(sp => new InMemoryEventStore(sp.GetRequiredService<EventTypeRegistry>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ISnapshotStore, InMemorySnapshotStore>();
        services.TryAddSingleton<ICheckpointStore, InMemoryCheckpointStore>();
        services.TryAdd(ServiceDescriptor.Transient(typeof(AggregateRepository<>), typeof(AggregateRepository<>)));
        return builder;
    }
}
