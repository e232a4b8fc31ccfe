using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EventSourcing.Aggregates;

/// <summary>The repository's activities and metrics, on Core's source and meter.</summary>
internal static class RepositoryInstruments
{
    public const string CommandActivity = "eventsourcing.command";
    public const string LoadActivity = "eventsourcing.load";
    public const string SnapshotLoadActivity = "eventsourcing.snapshot.load";
    public const string SnapshotSaveActivity = "eventsourcing.snapshot.save";

    public const string AggregateTypeTag = "eventsourcing.aggregate.type";
    public const string RetriesTag = "eventsourcing.command.retries";
    public const string FromSnapshotTag = "eventsourcing.snapshot.used";
    public const string SnapshotVersionTag = "eventsourcing.snapshot.version";

    public static readonly Counter<long> Retries = CoreInstruments.Meter.CreateCounter<long>("eventsourcing.command.retries", "{retry}", "Commands rerun after a concurrency conflict.");
    public static readonly Histogram<double> LoadDuration = CoreInstruments.Meter.CreateHistogram<double>("eventsourcing.load.duration", "s", "Duration of aggregate loads (snapshot plus replay).");
    public static readonly Histogram<long> LoadEvents = CoreInstruments.Meter.CreateHistogram<long>("eventsourcing.load.events", "{event}", "Events replayed per aggregate load.");
    public static readonly Counter<long> SnapshotHits = CoreInstruments.Meter.CreateCounter<long>("eventsourcing.snapshot.hits", "{load}", "Aggregate loads that started from a snapshot.");
    public static readonly Counter<long> SnapshotMisses = CoreInstruments.Meter.CreateCounter<long>("eventsourcing.snapshot.misses", "{load}", "Aggregate loads of a snapshot-enabled aggregate that found no usable snapshot.");

    private static readonly object True = true;
    private static readonly object False = false;

    public static ActivitySource Source => CoreInstruments.Source;

    /// <summary>True when a listener wants loads: their activity, duration or replayed events (cheap; checked per load).</summary>
    public static bool LoadObserved => Source.HasListeners() || LoadDuration.Enabled || LoadEvents.Enabled;

    /// <summary>A bool tag value without a new box per measurement.</summary>
    public static object Box(bool value) => value ? True : False;

    public static Activity? Start(string name, StreamId streamId, string aggregateType)
    {
        var activity = Source.StartActivity(name);
        if (activity is not null)
        {
            activity.SetTag(StoreInstruments.Tags.StreamId, streamId.Value);
            activity.SetTag(AggregateTypeTag, aggregateType);
        }

        return activity;
    }

    public static void Fail(Activity? activity, Exception error)
    {
        if (activity is not null)
        {
            activity.SetTag(StoreInstruments.Tags.Outcome, error is WrongExpectedVersionException ? "conflict" : "error");
            activity.SetTag(StoreInstruments.Tags.ErrorType, error.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        }
    }

    public static void Retry(Activity? activity, string aggregateType, int attempt, Exception conflict)
    {
        Retries.Add(1, new KeyValuePair<string, object?>(AggregateTypeTag, aggregateType));
        if (activity is not null)
        {
            activity.SetTag(RetriesTag, attempt);
            activity.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection
            {
                { "eventsourcing.command.attempt", attempt },
                { StoreInstruments.Tags.ErrorType, conflict.GetType().FullName },
            }));
        }
    }
}
