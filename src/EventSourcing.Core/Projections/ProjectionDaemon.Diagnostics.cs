using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EventSourcing.Projections;

public sealed partial class ProjectionDaemon
{
    internal const string BatchActivity = "eventsourcing.projection.batch";
    internal const string RebuildActivity = "eventsourcing.projection.rebuild";
    internal const string ProjectionTag = "eventsourcing.projection.name";
    internal const string RebuildTag = "eventsourcing.projection.rebuild";

    /// <summary>A batch links to at most this many distinct traces of its events.</summary>
    internal const int MaxBatchLinks = 32;

    /// <summary>The started daemons the observable instruments report on; read on each collection, no I/O.</summary>
    private static readonly List<ProjectionDaemon> Started = [];

    private static readonly ObservableGauge<double> LagSeconds = CoreInstruments.Meter.CreateObservableGauge(
        "eventsourcing.projection.lag.seconds",
        () => Observe(static (daemon, runner) => runner.LagSeconds(daemon._time.GetUtcNow())),
        "s",
        "Age of the oldest event a running projection has read but not projected yet; 0 when it is caught up.");

    private static readonly ObservableCounter<long> Projected = CoreInstruments.Meter.CreateObservableCounter(
        "eventsourcing.projection.events",
        () => Observe(static (_, runner) => runner.Status.EventsProjected),
        "{event}",
        "Events projected by a running projection since its daemon started (its rate is the throughput).");

    private static void Register(ProjectionDaemon daemon, bool started)
    {
        // Touch the instruments so they are published before the first collection.
        _ = (LagSeconds, Projected);
        lock (Started)
        {
            if (started)
            {
                Started.Add(daemon);
            }
            else
            {
                Started.Remove(daemon);
            }
        }
    }

    private static List<Measurement<T>> Observe<T>(Func<ProjectionDaemon, Runner, T> read)
        where T : struct
    {
        var measurements = new List<Measurement<T>>();
        lock (Started)
        {
            foreach (var daemon in Started)
            {
                foreach (var runner in daemon._runners.Values)
                {
                    measurements.Add(new Measurement<T>(read(daemon, runner), new KeyValuePair<string, object?>(ProjectionTag, runner.Projection.Name)));
                }
            }
        }

        return measurements;
    }

    /// <summary>The activity of one batch: linked to the traces the batch's events were appended in.</summary>
    private static Activity? StartBatch(Runner runner, List<EventEnvelope> batch, bool isRebuild)
    {
        if (!CoreInstruments.Source.HasListeners())
        {
            return null;
        }

        var activity = CoreInstruments.Source.StartActivity(BatchActivity, ActivityKind.Consumer, parentContext: default, links: TraceContext.Links(batch, MaxBatchLinks));
        if (activity is not null)
        {
            activity.DisplayName = "project " + runner.Projection.Name;
            activity.SetTag(ProjectionTag, runner.Projection.Name);
            activity.SetTag(StoreInstruments.Tags.EventCount, batch.Count);
            activity.SetTag(RebuildTag, isRebuild);
        }

        return activity;
    }
}
