namespace EventSourcing.Projections;

/// <summary>A projection registered on the builder: how to get it and when it runs.</summary>
internal sealed record ProjectionRegistration(ProjectionMode Mode, Func<IServiceProvider, IProjection> Factory);
