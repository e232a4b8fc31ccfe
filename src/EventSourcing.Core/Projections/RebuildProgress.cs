namespace EventSourcing.Projections;

/// <summary>Progress of a projection rebuild.</summary>
/// <param name="Projection">The projection.</param>
/// <param name="EventsDone">Events of the projection's types handled so far.</param>
/// <param name="EventsTotal">Events of its types in the log when the rebuild started (the log may grow meanwhile).</param>
/// <param name="EventsPerSecond">The rate so far.</param>
/// <param name="EstimatedRemaining">The estimated time left, or null when unknown.</param>
public sealed record RebuildProgress(string Projection, long EventsDone, long EventsTotal, double EventsPerSecond, TimeSpan? EstimatedRemaining);
