using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EventSourcing.Testing;

/// <summary>
/// Records the activities and measurements of the named sources and meters. Other tests in the process
/// emit too, so readers filter: activities and measurements by the trace they were made in (a
/// measurement is recorded synchronously, with its activity current), observable ones by a tag.
/// </summary>
internal sealed class TelemetryRecorder : IDisposable
{
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters;
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ConcurrentQueue<Recorded> _measurements = new();
    private readonly ConcurrentDictionary<ActivityTraceId, bool> _traces = new();
    private readonly string _testSource;

    /// <summary>
    /// Creates a recorder. Activities are only sampled in traces a root activity of <paramref name="testSource"/>
    /// started, or when they link to one: an append of another test running meanwhile gets no activity (and so
    /// no trace in its metadata), whatever this recorder listens to.
    /// </summary>
    public TelemetryRecorder(string testSource, params string[] names)
    {
        _testSource = testSource;
        names = [testSource, .. names];
        _activities = new ActivityListener
        {
            ShouldListenTo = source => Array.IndexOf(names, source.Name) >= 0,
            Sample = Sample,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_activities);

        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (Array.IndexOf(names, instrument.Meter.Name) >= 0)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _meters.Start();
    }

    /// <summary>The stopped activities of one trace.</summary>
    public IReadOnlyList<Activity> Activities(ActivityTraceId trace) => [.. _stopped.Where(a => a.TraceId == trace)];

    /// <summary>Every stopped activity (filter it).</summary>
    public IReadOnlyList<Activity> AllActivities => [.. _stopped];

    /// <summary>The measurements of an instrument made within one trace.</summary>
    public IReadOnlyList<Recorded> Measurements(string instrument, ActivityTraceId trace) =>
        [.. _measurements.Where(m => m.Instrument == instrument && m.Trace == trace)];

    /// <summary>The measurements of an instrument carrying a tag value (for observable instruments).</summary>
    public IReadOnlyList<Recorded> Measurements(string instrument, string tag, string value) =>
        [.. _measurements.Where(m => m.Instrument == instrument && m.Tags.TryGetValue(tag, out var v) && Equals(v, value))];

    /// <summary>The instruments of the named meters seen so far, with their units.</summary>
    public IReadOnlyDictionary<string, string?> Units => _measurements.GroupBy(m => m.Instrument).ToDictionary(g => g.Key, g => g.First().Unit);

    /// <summary>Collects the observable instruments now.</summary>
    public void Collect() => _meters.RecordObservableInstruments();

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }

    private ActivitySamplingResult Sample(ref ActivityCreationOptions<ActivityContext> options)
    {
        if (options.Source.Name == _testSource && options.Parent == default)
        {
            _traces[options.TraceId] = true;
            return ActivitySamplingResult.AllDataAndRecorded;
        }

        if (options.Parent != default && _traces.ContainsKey(options.Parent.TraceId))
        {
            return ActivitySamplingResult.AllDataAndRecorded;
        }

        if (options.Links is { } links)
        {
            foreach (var link in links)
            {
                if (_traces.ContainsKey(link.Context.TraceId))
                {
                    return ActivitySamplingResult.AllDataAndRecorded;
                }
            }
        }

        return ActivitySamplingResult.None;
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, tagValue) in tags)
        {
            map[key] = tagValue;
        }

        _measurements.Enqueue(new Recorded(instrument.Name, instrument.Unit, value, map, Activity.Current?.TraceId ?? default));
    }

    /// <summary>One measurement.</summary>
    internal sealed record Recorded(string Instrument, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags, ActivityTraceId Trace);
}
