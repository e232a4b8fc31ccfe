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

    private static readonly ObservableGauge<long> LagEvents = CoreInstruments.Meter.CreateObservableGauge(
        "eventsourcing.projection.lag.events",
        () => Observe(static (_, runner) => runner.PendingEvents()),
        "{event}",
        "Events of the projection's types this node has read from the log and not projected yet: exact when its last read reached the head of the log, a lower bound while it catches up in full batches; 0 when caught up.");

    private static void Register(ProjectionDaemon daemon, bool started)
    {
        // Touch the instruments so they are published before the first collection.
        _ = (LagSeconds, Projected, LagEvents);
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

    /// <summary>What the runner knows of its lag (in events and in seconds), without I/O.</summary>
    private sealed partial class Runner
    {
        private List<EventEnvelope>? _lastRead;

        /// <summary>The last batch the runner read from the log (never changed after the read; positions ascend).</summary>
        public List<EventEnvelope>? LastRead
        {
            get => Volatile.Read(ref _lastRead);
            set => Volatile.Write(ref _lastRead, value);
        }

        /// <summary>
        /// The events of the last read after the committed checkpoint, while this node runs the projection
        /// (or it stopped on a failure): every event of its types up to the head when that read came back
        /// short of a batch, the first batch of more when it was full. 0 otherwise.
        /// </summary>
        public long PendingEvents() =>
            Pending(includeFaulted: true) is ({ } batch, var first) ? batch.Count - first : 0;

        /// <summary>
        /// The age of the oldest of those events (0 when there is none, or the projection stopped on a
        /// failure). Read from the same batch and checkpoint, so it is 0 as soon as the checkpoint passes them.
        /// </summary>
        public double LagSeconds(DateTimeOffset now) =>
            Pending(includeFaulted: false) is ({ } batch, var first) ? Math.Max(0, (now - batch[first].Timestamp).TotalSeconds) : 0;

        /// <summary>The last read and the index of its first event after the checkpoint; no batch when none is pending.</summary>
        private (List<EventEnvelope>? Batch, int First) Pending(bool includeFaulted)
        {
            var status = Status;
            var running = status.State is ProjectionState.CatchingUp or ProjectionState.Live || (includeFaulted && status.State == ProjectionState.Faulted);
            if (LastRead is not { Count: > 0 } batch || !running)
            {
                return (null, 0);
            }

            if (status.Checkpoint is not { } checkpoint)
            {
                return (batch, 0);
            }

            // The first event after the checkpoint (binary search: a batch is in log order).
            var low = 0;
            var high = batch.Count;
            while (low < high)
            {
                var middle = (low + high) >>> 1;
                if (batch[middle].Position <= checkpoint)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low < batch.Count ? (batch, low) : (null, 0);
        }
    }
}
