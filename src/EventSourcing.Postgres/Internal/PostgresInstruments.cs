using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EventSourcing.Postgres.Internal;

/// <summary>The activity source and meter of EventSourcing.Postgres.</summary>
internal static class PostgresInstruments
{
    public static readonly ActivitySource Source = new(PostgresDiagnostics.SourceName, Version);

    public static readonly Meter Meter = new(PostgresDiagnostics.MeterName, Version);

    public static readonly StoreInstruments Store = new(Source, Meter, "postgresql");

    private static string? Version => typeof(PostgresInstruments).Assembly.GetName().Version?.ToString();
}
