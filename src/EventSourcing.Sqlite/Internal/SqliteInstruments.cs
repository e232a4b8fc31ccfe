using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EventSourcing.Sqlite.Internal;

/// <summary>The activity source and meter of EventSourcing.Sqlite.</summary>
internal static class SqliteInstruments
{
    public static readonly ActivitySource Source = new(SqliteDiagnostics.SourceName, Version);

    public static readonly Meter Meter = new(SqliteDiagnostics.MeterName, Version);

    public static readonly StoreInstruments Store = new(Source, Meter, "sqlite");

    private static string? Version => typeof(SqliteInstruments).Assembly.GetName().Version?.ToString();
}
