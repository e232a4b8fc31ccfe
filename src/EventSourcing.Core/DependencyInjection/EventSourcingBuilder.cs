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
    internal EventSourcingBuilder(IServiceCollection services, EventTypeRegistry registry, RepositoryOptions repositoryOptions, ProjectionOptions projectionOptions)
    {
        Services = services;
        Events = registry;
        RepositoryOptions = repositoryOptions;
        ProjectionOptions = projectionOptions;
    }

    /// <summary>The service collection being configured; backends add their services to it.</summary>
    public IServiceCollection Services { get; }

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
    public EventSourcingBuilder AddProjection<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TProjection>(ProjectionMode mode)
        where TProjection : class, IProjection
    {
        Services.TryAddSingleton<TProjection>();
        Services.AddSingleton(new ProjectionRegistration(mode, static sp => sp.GetRequiredService<TProjection>()));
        return this;
    }

    /// <summary>Adds a projection instance (see <see cref="AddProjection{TProjection}(ProjectionMode)"/>).</summary>
    /// <param name="projection">The projection.</param>
    /// <param name="mode">When it runs.</param>
    /// <returns>This builder.</returns>
    public EventSourcingBuilder AddProjection(IProjection projection, ProjectionMode mode)
    {
        ArgumentNullException.ThrowIfNull(projection);
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
    public EventSourcingBuilder AddSubscription(string name, IReadOnlyCollection<string> eventTypes, Func<EventEnvelope, CancellationToken, ValueTask> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(eventTypes);
        ArgumentNullException.ThrowIfNull(handler);
        return AddProjection(new DelegateProjection(name, eventTypes, handler), ProjectionMode.Async);
    }
}
