using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using EventSourcing;
using EventSourcing.Aggregates;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures EventSourcing: event types, JSON options, repositories, and the backend.</summary>
public sealed class EventSourcingBuilder
{
    internal EventSourcingBuilder(IServiceCollection services, EventTypeRegistry registry, RepositoryOptions repositoryOptions, ProjectionOptions projectionOptions, object? serviceKey = null)
    {
        ServiceKey = serviceKey;
        Services = services;
        Events = registry;
        RepositoryOptions = repositoryOptions;
        ProjectionOptions = projectionOptions;
    }

    /// <summary>The service collection being configured; backends add their services to it.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// The key of a store added by <see cref="EventSourcingServiceCollectionExtensions.AddKeyedEventSourcing"/>;
    /// null for the default store of <c>AddEventSourcing</c>.
    /// </summary>
    public object? ServiceKey { get; }

    /// <summary>The application's services a keyed store's own container takes over (see <see cref="UseApplicationService"/>).</summary>
    internal List<(Type Type, object? Key)> SharedApplicationServices { get; } = [];

    /// <summary>The event type registry.</summary>
    public EventTypeRegistry Events { get; }

    /// <summary>The options every <see cref="AggregateRepository{TAggregate}"/> resolved from the container uses.</summary>
    public RepositoryOptions RepositoryOptions { get; }

    /// <summary>The options of the projection daemon.</summary>
    public ProjectionOptions ProjectionOptions { get; }

    /// <summary>Registers an event type under a stable name (see <see cref="EventTypeRegistry.Register{TEvent}"/>).</summary>
    /// <typeparam name="TEvent">The event type.</typeparam>
    /// <param name="name">The stored name.</param>
    /// <param name="aliases">Older stored names.</param>
    /// <returns>This builder.</returns>
    public EventSourcingBuilder AddEvent<TEvent>(string name, params string[] aliases)
        where TEvent : class
    {
        Events.Register<TEvent>(name, aliases);
        return this;
    }

    /// <summary>Uses these JSON options for events and snapshots, e.g. a source-generated context's options.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    public EventSourcingBuilder UseJsonOptions(JsonSerializerOptions options)
    {
        Events.JsonOptions = options;
        return this;
    }

    /// <summary>Sets the snapshot policy for repositories.</summary>
    /// <param name="policy">The policy, e.g. <see cref="SnapshotPolicy.Every(int)"/>.</param>
    /// <returns>This builder.</returns>
    public EventSourcingBuilder UseSnapshots(SnapshotPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        RepositoryOptions.Snapshots = policy;
        return this;
    }

    /// <summary>
    /// Adds a projection, created once by the container. Inline projections run inside each append;
    /// async ones run in the projection daemon (a hosted service) from a persisted checkpoint.
    /// </summary>
    /// <typeparam name="TProjection">The projection type.</typeparam>
    /// <param name="mode">When it runs.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="NotSupportedException">An async projection on a keyed store (keyed stores do not run async projections yet).</exception>
    public EventSourcingBuilder AddProjection<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TProjection>(ProjectionMode mode)
        where TProjection : class, IProjection
    {
        RefuseAsyncWhenKeyed(mode, typeof(TProjection).Name);
        Services.TryAddSingleton<TProjection>();
        Services.AddSingleton(new ProjectionRegistration(mode, static sp => sp.GetRequiredService<TProjection>()));
        return this;
    }

    /// <summary>Adds a projection instance (see <see cref="AddProjection{TProjection}(ProjectionMode)"/>).</summary>
    /// <param name="projection">The projection.</param>
    /// <param name="mode">When it runs.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="NotSupportedException">An async projection on a keyed store (keyed stores do not run async projections yet).</exception>
    public EventSourcingBuilder AddProjection(IProjection projection, ProjectionMode mode)
    {
        ArgumentNullException.ThrowIfNull(projection);
        RefuseAsyncWhenKeyed(mode, projection.Name);
        Services.AddSingleton(new ProjectionRegistration(mode, _ => projection));
        return this;
    }

    /// <summary>
    /// Declares the context type the backend hands projections (backend SPI: a backend's <c>UseXxx</c>
    /// calls it), so a <see cref="Projection{TContext}"/> written for another backend fails at start-up.
    /// <see cref="ProjectionContext"/> (the in-memory store's) when never called.
    /// </summary>
    /// <typeparam name="TContext">The backend's context type.</typeparam>
    /// <returns>This builder.</returns>
    public EventSourcingBuilder UseProjectionContext<TContext>()
        where TContext : ProjectionContext
    {
        Services.RemoveAll<ProjectionContextType>();
        Services.AddSingleton(new ProjectionContextType(typeof(TContext)));
        return this;
    }

    /// <summary>
    /// Adds an after-commit subscriber: a handler for side effects (e-mails, messages) that sees each
    /// event of the given types only after its append committed, at least once, from a checkpoint.
    /// </summary>
    /// <param name="name">The subscriber's stable name (its checkpoint's key).</param>
    /// <param name="eventTypes">The registered event type names it handles.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="NotSupportedException">On a keyed store (keyed stores do not run subscriptions yet).</exception>
    public EventSourcingBuilder AddSubscription(string name, IReadOnlyCollection<string> eventTypes, Func<EventEnvelope, CancellationToken, ValueTask> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(eventTypes);
        ArgumentNullException.ThrowIfNull(handler);
        return AddProjection(new DelegateProjection(name, eventTypes, handler), ProjectionMode.Async);
    }

    /// <summary>
    /// Backend SPI: a keyed store (<see cref="EventSourcingServiceCollectionExtensions.AddKeyedEventSourcing"/>)
    /// builds its services in a container of its own, which sees the application's logger factory,
    /// <see cref="TimeProvider"/>, configuration and host environment; this makes one more service of the
    /// application's container (e.g. a data source registered by the application) resolvable there, as the
    /// same instance, which the keyed store never disposes. Does nothing on the default store, which
    /// shares the application's container.
    /// </summary>
    /// <param name="serviceType">The service type.</param>
    /// <param name="serviceKey">The key of a keyed registration; null for the unkeyed one.</param>
    /// <returns>This builder.</returns>
    public EventSourcingBuilder UseApplicationService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (ServiceKey is not null)
        {
            SharedApplicationServices.Add((serviceType, serviceKey));
        }

        return this;
    }

    private void RefuseAsyncWhenKeyed(ProjectionMode mode, string name)
    {
        if (ServiceKey is not null && mode == ProjectionMode.Async)
        {
            throw new NotSupportedException(
                $"Async projection or subscription '{name}' cannot be added to the keyed event store '{ServiceKey}': keyed stores (AddKeyedEventSourcing) do not run async projections or subscriptions yet. " +
                "Add it to the default store (AddEventSourcing), or make it inline (ProjectionMode.Inline).");
        }
    }
}
