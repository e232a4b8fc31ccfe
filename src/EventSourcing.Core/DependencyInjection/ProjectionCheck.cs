using EventSourcing.Projections;
using EventSourcing.Serialization;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The start-up check of every registered projection: typed ones get their event type names from the
/// registry and must take the context the backend hands out; every name a projection lists must be a
/// registered, current event type name (an alias or a name that is upcast on read never reaches a handler).
/// </summary>
internal static class ProjectionCheck
{
    public static void Validate(IEnumerable<IProjection> projections, EventTypeRegistry registry, Type backendContext)
    {
        foreach (var projection in projections)
        {
            if (projection is ITypedProjection typed)
            {
                if (!typed.ContextType.IsAssignableFrom(backendContext))
                {
                    throw new InvalidOperationException(
                        $"Projection '{projection.Name}' needs a {typed.ContextType.Name}, but the configured backend hands projections a {backendContext.Name}: " +
                        $"derive it from Projection (any backend) or Projection<{backendContext.Name}>, or configure the backend it was written for.");
                }

                typed.Bind(registry);
            }

            foreach (var name in projection.EventTypes ?? [])
            {
                var problem = registry.CheckCurrentName(name);
                if (problem is not null)
                {
                    throw new InvalidOperationException($"Projection '{projection.Name}' handles event type '{name}', which {problem}.");
                }
            }
        }
    }
}
