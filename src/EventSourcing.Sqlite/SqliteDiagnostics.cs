namespace EventSourcing.Sqlite;

/// <summary>
/// The names under which EventSourcing.Sqlite reports its append activity (an
/// <see cref="System.Diagnostics.ActivitySource"/>) and append metrics (a <see cref="System.Diagnostics.Metrics.Meter"/>),
/// tagged <c>db.system.name</c> = <c>sqlite</c>. The repository and the projection daemon report under
/// <see cref="EventSourcingDiagnostics.SourceName"/>. Nothing is recorded while nobody listens.
/// </summary>
public static class SqliteDiagnostics
{
    /// <summary>The activity source name: <c>EventSourcing.Sqlite</c>.</summary>
    public const string SourceName = "EventSourcing.Sqlite";

    /// <summary>The meter name: <c>EventSourcing.Sqlite</c>.</summary>
    public const string MeterName = "EventSourcing.Sqlite";
}
