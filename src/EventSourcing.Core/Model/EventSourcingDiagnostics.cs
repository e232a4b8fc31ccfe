namespace EventSourcing;

/// <summary>
/// The names under which EventSourcing.Core reports traces (an <see cref="System.Diagnostics.ActivitySource"/>)
/// and metrics (a <see cref="System.Diagnostics.Metrics.Meter"/>): the repository, the projection daemon and
/// the in-memory store. Subscribe with OpenTelemetry's <c>AddSource</c> / <c>AddMeter</c>, or with an
/// <see cref="System.Diagnostics.ActivityListener"/> / <see cref="System.Diagnostics.Metrics.MeterListener"/>.
/// Nothing is recorded, and nothing allocated, while nobody listens.
/// </summary>
public static class EventSourcingDiagnostics
{
    /// <summary>The activity source name of EventSourcing.Core: <c>EventSourcing</c>.</summary>
    public const string SourceName = "EventSourcing";

    /// <summary>The meter name of EventSourcing.Core: <c>EventSourcing</c>.</summary>
    public const string MeterName = "EventSourcing";

    /// <summary>
    /// The metadata header an append records the current trace in (W3C <c>traceparent</c> format) when an
    /// <see cref="System.Diagnostics.Activity"/> is current and the event's metadata has no such header; the
    /// projection daemon links each batch's activity to these traces.
    /// </summary>
    public const string TraceParentHeader = "traceparent";
}
