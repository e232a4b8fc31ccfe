using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EventSourcing;

/// <summary>
/// The append instruments of one backend package (backend SPI): the <c>eventsourcing.append</c> activity and
/// the append metrics (<c>eventsourcing.appends</c>, <c>eventsourcing.append.events</c>,
/// <c>eventsourcing.append.duration</c>, <c>eventsourcing.append.conflicts</c>), tagged with the backend's
/// <c>db.system.name</c>, on the package's own source and meter. Every backend uses this one class, so
/// names, units and tags are the same on every store. Create one per package (a static field) and, in
/// <c>AppendAsync</c>, take the instrumented path only when <see cref="IsObserved"/>.
/// </summary>
public sealed class StoreInstruments
{
    /// <summary>The append activity's operation name.</summary>
    public const string AppendActivity = "eventsourcing.append";

    private readonly string _dbSystem;
    private readonly Counter<long> _events;
    private readonly Counter<long> _appends;
    private readonly Counter<long> _conflicts;
    private readonly Histogram<double> _duration;

    /// <summary>Creates the instruments on a package's source and meter.</summary>
    /// <param name="source">The package's activity source.</param>
    /// <param name="meter">The package's meter (the instruments are created on it).</param>
    /// <param name="dbSystem">The <c>db.system.name</c> tag value, e.g. <c>postgresql</c>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public StoreInstruments(ActivitySource source, Meter meter, string dbSystem)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentException.ThrowIfNullOrWhiteSpace(dbSystem);
        Source = source;
        _dbSystem = dbSystem;
        _events = meter.CreateCounter<long>("eventsourcing.append.events", "{event}", "Events sent to append, by outcome.");
        _appends = meter.CreateCounter<long>("eventsourcing.appends", "{append}", "Append calls, by outcome.");
        _conflicts = meter.CreateCounter<long>("eventsourcing.append.conflicts", "{conflict}", "Appends refused because the stream was not at the expected version.");
        _duration = meter.CreateHistogram<double>("eventsourcing.append.duration", "s", "Duration of append calls.");
    }

    /// <summary>The package's activity source.</summary>
    public ActivitySource Source { get; }

    /// <summary>True when an activity listener or a metric listener wants appends (cheap; checked per call).</summary>
    public bool IsObserved => Source.HasListeners() || _appends.Enabled || _events.Enabled || _duration.Enabled || _conflicts.Enabled;

    /// <summary>Starts the append activity (null when nobody samples it) with the append's tags.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="expectedVersion">The expectation.</param>
    /// <param name="count">The number of events.</param>
    /// <returns>The activity, or null.</returns>
    public Activity? StartAppend(StreamId streamId, ExpectedVersion expectedVersion, int count)
    {
        var activity = Source.StartActivity(AppendActivity, ActivityKind.Client);
        if (activity is not null)
        {
            activity.DisplayName = "append " + streamId.Value;
            activity.SetTag(Tags.DbSystem, _dbSystem);
            activity.SetTag(Tags.DbOperation, "append");
            activity.SetTag(Tags.StreamId, streamId.Value);
            activity.SetTag(Tags.EventCount, count);
            activity.SetTag(Tags.ExpectedVersion, expectedVersion.Value);
        }

        return activity;
    }

    /// <summary>Records a successful append (appended or already appended) and tags the activity.</summary>
    /// <param name="activity">The activity from <see cref="StartAppend"/>, or null.</param>
    /// <param name="started">The <see cref="Stopwatch.GetTimestamp"/> taken before the append.</param>
    /// <param name="count">The number of events.</param>
    /// <param name="result">The append's result.</param>
    public void Succeeded(Activity? activity, long started, int count, AppendResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var outcome = result.AlreadyAppended ? "already_appended" : "appended";
        if (activity is not null)
        {
            activity.SetTag(Tags.Outcome, outcome);
            activity.SetTag(Tags.StreamVersion, result.NextExpectedVersion);
        }

        Record(started, count, outcome, errorType: null);
    }

    /// <summary>Records a failed append (a conflict for <see cref="WrongExpectedVersionException"/>, else an error) and marks the activity.</summary>
    /// <param name="activity">The activity from <see cref="StartAppend"/>, or null.</param>
    /// <param name="started">The <see cref="Stopwatch.GetTimestamp"/> taken before the append.</param>
    /// <param name="count">The number of events.</param>
    /// <param name="error">The exception.</param>
    public void Failed(Activity? activity, long started, int count, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var conflict = error is WrongExpectedVersionException;
        var outcome = conflict ? "conflict" : "error";
        var errorType = error.GetType().FullName;
        if (activity is not null)
        {
            activity.SetTag(Tags.Outcome, outcome);
            activity.SetTag(Tags.ErrorType, errorType);
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        }

        if (conflict)
        {
            _conflicts.Add(1, new KeyValuePair<string, object?>(Tags.DbSystem, _dbSystem));
        }

        Record(started, count, outcome, errorType);
    }

    private void Record(long started, int count, string outcome, string? errorType)
    {
        var tags = new TagList { { Tags.DbSystem, _dbSystem }, { Tags.Outcome, outcome } };
        if (errorType is not null)
        {
            tags.Add(Tags.ErrorType, errorType);
        }

        _appends.Add(1, tags);
        _events.Add(count, tags);
        _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
    }

    /// <summary>Tag names, after the OpenTelemetry database conventions where one applies.</summary>
    internal static class Tags
    {
        public const string DbSystem = "db.system.name";
        public const string DbOperation = "db.operation.name";
        public const string ErrorType = "error.type";
        public const string Outcome = "outcome";
        public const string StreamId = "eventsourcing.stream.id";
        public const string EventCount = "eventsourcing.event.count";
        public const string ExpectedVersion = "eventsourcing.expected_version";
        public const string StreamVersion = "eventsourcing.stream.version";
    }
}
