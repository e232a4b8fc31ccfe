namespace EventSourcing.Postgres;

/// <summary>
/// The names under which EventSourcing.Postgres reports its append activity (an
/// <see cref="System.Diagnostics.ActivitySource"/>) and its metrics (a <see cref="System.Diagnostics.Metrics.Meter"/>):
/// the append metrics, tagged <c>db.system.name</c> = <c>postgresql</c>, and <c>eventsourcing.global_log.horizon.age</c>
/// (seconds the oldest running transaction has hidden later commits from global-log readers; sampled once a second
/// by a hosted service of <c>UsePostgres</c>, only while a listener enables it). The repository and the projection
/// daemon report under <see cref="EventSourcingDiagnostics.SourceName"/>. Nothing is recorded while nobody listens.
/// </summary>
public static class PostgresDiagnostics
{
    /// <summary>The activity source name: <c>EventSourcing.Postgres</c>.</summary>
    public const string SourceName = "EventSourcing.Postgres";

    /// <summary>The meter name: <c>EventSourcing.Postgres</c>.</summary>
    public const string MeterName = "EventSourcing.Postgres";
}
