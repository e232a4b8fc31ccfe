namespace EventSourcing.Projections;

/// <summary>
/// A projection written as handlers per event type (<c>On&lt;TEvent&gt;(...)</c>), on any backend: the
/// handlers get the base <see cref="ProjectionContext"/>. Use <see cref="Projection{TContext}"/> to get
/// a backend's own context (e.g. its connection and transaction) without a cast.
/// </summary>
public abstract class Projection : Projection<ProjectionContext>
{
    /// <summary>Creates the projection; register its handlers in the derived constructor.</summary>
    /// <param name="name">The projection's stable name; it keys its checkpoint (and its documents).</param>
    /// <exception cref="ArgumentException">The name is null or blank.</exception>
    protected Projection(string name)
        : base(name)
    {
    }
}
