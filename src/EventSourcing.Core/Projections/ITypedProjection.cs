using EventSourcing.Serialization;

namespace EventSourcing.Projections;

/// <summary>A projection whose event type names come from the registry and whose handlers need a context type; bound at start-up.</summary>
internal interface ITypedProjection
{
    /// <summary>The context type its handlers take.</summary>
    Type ContextType { get; }

    /// <summary>Resolves the names of its handlers' event types; throws naming the projection when one is not registered.</summary>
    void Bind(EventTypeRegistry registry);
}
