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
        var builder = new EventSourcingBuilder(services, new EventTypeRegistry(), new RepositoryOptions(), new ProjectionOptions());
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
