namespace EventSourcing.Projections;

/// <summary>A snapshot of one async projection's progress, for health checks and dashboards.</summary>
/// <param name="Name">The projection.</param>
/// <param name="State">Where its runner is.</param>
/// <param name="Checkpoint">The last position committed, or null before the first commit.</param>
/// <param name="EventsProjected">Events handled by this instance since it started.</param>
/// <param name="LastEventTimestamp">The timestamp of the last event handled, or null.</param>
/// <param name="Error">The failure that stopped it, when <see cref="ProjectionState.Faulted"/>.</param>
public sealed record ProjectionStatus(string Name, ProjectionState State, GlobalPosition? Checkpoint, long EventsProjected, DateTimeOffset? LastEventTimestamp, Exception? Error);
