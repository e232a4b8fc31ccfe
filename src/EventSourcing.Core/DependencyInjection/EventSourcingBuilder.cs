using System.Text.Json;
using EventSourcing.Aggregates;
using EventSourcing.Serialization;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures EventSourcing: event types, JSON options, repositories, and the backend.</summary>
public sealed class EventSourcingBuilder
{
    internal EventSourcingBuilder(IServiceCollection services, EventTypeRegistry registry, RepositoryOptions repositoryOptions)
    {
        Services = services;
        Events = registry;
        RepositoryOptions = repositoryOptions;
    }

    /// <summary>The service collection being configured; backends add their services to it.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The event type registry.</summary>
    public EventTypeRegistry Events { get; }

    /// <summary>The options every <see cref="AggregateRepository{TAggregate}"/> resolved from the container uses.</summary>
    public RepositoryOptions RepositoryOptions { get; }

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
}
