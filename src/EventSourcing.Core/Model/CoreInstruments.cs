using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EventSourcing;

/// <summary>The activity source and meter of EventSourcing.Core, shared by its layers.</summary>
internal static class CoreInstruments
{
    public static readonly ActivitySource Source = new(EventSourcingDiagnostics.SourceName, Version);

    public static readonly Meter Meter = new(EventSourcingDiagnostics.MeterName, Version);

    /// <summary>The in-memory store's append instruments (<c>db.system.name</c> = memory).</summary>
    public static readonly StoreInstruments Memory = new(Source, Meter, "memory");

    private static string? Version => typeof(CoreInstruments).Assembly.GetName().Version?.ToString();
}
