namespace EventSourcing.Projections;

/// <summary>An after-commit subscriber written as a delegate: an async projection with side effects only.</summary>
internal sealed class DelegateProjection(string name, IReadOnlyCollection<string> eventTypes, Func<EventEnvelope, CancellationToken, ValueTask> handler) : IProjection
{
    public string Name { get; } = name;

    public IReadOnlyCollection<string> EventTypes { get; } = eventTypes;

    public ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default) => handler(envelope, cancellationToken);
}
