using EventSourcing.Aggregates;
using EventSourcing.Documents;
using EventSourcing.InMemory;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
        return AddEventSourcing(services, configure, serviceKey: null);
    }

    /// <summary>
    /// Adds a second (third, …) store beside the default one, under <paramref name="serviceKey"/>: its own event
    /// types, JSON options, snapshot policy and backend (e.g. another PostgreSQL schema or data source, another
    /// SQLite file). The container gets, under that key, <see cref="IEventStore"/>, <see cref="ISnapshotStore"/>,
    /// <see cref="EventTypeRegistry"/>, <see cref="RepositoryOptions"/>, <see cref="IDocumentStore"/>,
    /// <see cref="DocumentReader"/> and <see cref="AggregateRepository{TAggregate}"/> (inject them with
    /// <c>[FromKeyedServices(key)]</c> or resolve them with <c>GetRequiredKeyedService</c>). The store's services
    /// live in a container of their own, made on first use and disposed with the application's; it sees the
    /// application's logger factory, <see cref="TimeProvider"/>, configuration and host environment. The schema
    /// is applied on first use. Inline projections run; async projections and subscriptions are refused
    /// (<see cref="NotSupportedException"/>): keyed stores do not run a projection daemon yet.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="serviceKey">The store's key, e.g. <c>"audit"</c>.</param>
    /// <param name="configure">Registers event types and picks the backend.</param>
    /// <returns>The builder, to chain more configuration.</returns>
    /// <exception cref="InvalidOperationException">A store is already added under this key.</exception>
    public static EventSourcingBuilder AddKeyedEventSourcing(this IServiceCollection services, object serviceKey, Action<EventSourcingBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        if (services.Any(d => d.IsKeyedService && d.ServiceType == typeof(KeyedEventSourcingContainer) && Equals(d.ServiceKey, serviceKey)))
        {
            throw new InvalidOperationException($"An event store is already added under the key '{serviceKey}'.");
        }

        var own = new ServiceCollection();
        var builder = AddEventSourcing(own, configure, serviceKey);
        services.AddKeyedSingleton(serviceKey, (sp, _) => new KeyedEventSourcingContainer(own, builder.SharedApplicationServices, sp));
        Forward<IEventStore>(services, serviceKey);
        Forward<ISnapshotStore>(services, serviceKey);
        Forward<EventTypeRegistry>(services, serviceKey);
        Forward<RepositoryOptions>(services, serviceKey);
        Forward<IDocumentStore>(services, serviceKey);
        Forward<DocumentReader>(services, serviceKey);
        // Its constructor takes the store, registry, snapshots and options under the key it is resolved with.
        services.Add(ServiceDescriptor.KeyedTransient(typeof(AggregateRepository<>), serviceKey, typeof(AggregateRepository<>)));
        return builder;
    }

    private static void Forward<TService>(IServiceCollection services, object serviceKey)
        where TService : class =>
        services.AddKeyedSingleton(serviceKey, static (sp, key) => sp.GetRequiredKeyedService<KeyedEventSourcingContainer>(key).Services.GetRequiredService<TService>());

    private static EventSourcingBuilder AddEventSourcing(IServiceCollection services, Action<EventSourcingBuilder>? configure, object? serviceKey)
    {
        var builder = new EventSourcingBuilder(services, new EventTypeRegistry(), new RepositoryOptions(), new ProjectionOptions(), serviceKey);
        // Handed out checked: every event type must serialize before the first one is stored (at host start, as
        // the hosted services are built, or at the first use without a host).
        services.AddSingleton(_ =>
        {
            builder.Events.ValidateSerialization();
            return builder.Events;
        });
        services.AddSingleton(builder.RepositoryOptions);
        services.AddSingleton(builder.ProjectionOptions);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CommitNotifier>();
        configure?.Invoke(builder);

        // TryAdd: a backend configured above has already registered its own stores.
        services.TryAddSingleton(sp =>
        {
            var store = new InMemoryEventStore(sp.GetRequiredService<EventTypeRegistry>(), sp.GetRequiredService<TimeProvider>())
            {
                Notifier = sp.GetRequiredService<CommitNotifier>(),
            };
            store.UseInlineProjections(sp.GetInlineProjections());
            return store;
        });
        services.TryAddSingleton<IEventStore>(sp => sp.GetRequiredService<InMemoryEventStore>());
        services.TryAddSingleton<IDocumentStore>(sp => sp.GetRequiredService<InMemoryEventStore>().Documents);
        services.TryAddSingleton(sp => new DocumentReader(sp.GetRequiredService<IDocumentStore>(), sp.GetRequiredService<EventTypeRegistry>(), () => AllProjections(sp)));
        services.TryAddSingleton<ISnapshotStore, InMemorySnapshotStore>();
        services.TryAddSingleton<InMemoryCheckpointStore>();
        services.TryAddSingleton<ICheckpointStore>(sp => sp.GetRequiredService<InMemoryCheckpointStore>());
        services.TryAddSingleton<IProjectionStore>(sp => new InMemoryProjectionStore(
            sp.GetRequiredService<InMemoryEventStore>(),
            sp.GetRequiredService<InMemoryCheckpointStore>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new ProjectionDaemon(
            sp.GetRequiredService<IEventStore>(),
            sp.GetRequiredService<IProjectionStore>(),
            Projections(sp, ProjectionMode.Async),
            sp.GetRequiredService<ProjectionOptions>(),
            sp.GetService<ILogger<ProjectionDaemon>>(),
            sp.GetRequiredService<CommitNotifier>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ProjectionDaemon>(sp => sp.GetRequiredService<ProjectionDaemon>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EventSourcingStartupLog>());
        services.TryAdd(ServiceDescriptor.Transient(typeof(AggregateRepository<>), typeof(AggregateRepository<>)));
        return builder;
    }

    /// <summary>
    /// The inline projections registered on the builder, validated and indexed (backend SPI: a backend
    /// runs them inside each append's unit of work).
    /// </summary>
    /// <param name="services">The container.</param>
    /// <returns>The set; <see cref="InlineProjectionSet.None"/> when none is registered.</returns>
    /// <exception cref="InvalidOperationException">Two registered projections share a name.</exception>
    public static InlineProjectionSet GetInlineProjections(this IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var inline = Projections(services, ProjectionMode.Inline);
        return inline.Length == 0 ? InlineProjectionSet.None : new InlineProjectionSet(inline);
    }

    /// <summary>
    /// True when async projections are registered on the builder, so this process runs a projection
    /// daemon (backend SPI: a backend that hears about other processes' commits only needs to listen then).
    /// </summary>
    /// <param name="services">The container.</param>
    /// <returns>True when at least one async projection is registered.</returns>
    public static bool HasAsyncProjections(this IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetServices<ProjectionRegistration>().Any(r => r.Mode == ProjectionMode.Async);
    }

    /// <summary>Every registered projection, checked.</summary>
    internal static IProjection[] AllProjections(IServiceProvider services) =>
        [.. Projections(services, ProjectionMode.Inline), .. Projections(services, ProjectionMode.Async)];

    /// <summary>The registered projections of one mode; names must be unique across modes.</summary>
    internal static IProjection[] Projections(IServiceProvider services, ProjectionMode mode)
    {
        var all = services.GetServices<ProjectionRegistration>().Select(r => (r.Mode, Projection: r.Factory(services))).ToArray();
        var duplicate = all.GroupBy(p => p.Projection.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two projections are named '{duplicate.Key}'.");
        }

        ProjectionCheck.Validate(all.Select(p => p.Projection), services.GetRequiredService<EventTypeRegistry>(), services.GetService<ProjectionContextType>()?.Type ?? typeof(ProjectionContext));

        return all.Where(p => p.Mode == mode).Select(p => p.Projection).ToArray();
    }
}
