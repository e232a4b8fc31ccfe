namespace EventSourcing.Projections;

/// <summary>When a projection runs.</summary>
public enum ProjectionMode
{
    /// <summary>In the append itself: on PostgreSQL in the same transaction, so the read model is never behind and a failing projection fails the append.</summary>
    Inline,

    /// <summary>After commit, in the projection daemon, from a persisted checkpoint.</summary>
    Async,
}
