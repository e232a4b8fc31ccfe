namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The context type the configured backend hands projections (set by <see cref="EventSourcingBuilder.UseProjectionContext{TContext}"/>).</summary>
internal sealed record ProjectionContextType(Type Type);
