using System.Diagnostics;

namespace EventSourcing;

/// <summary>
/// Carries the current trace into event metadata and back out: an append records the current
/// activity's W3C id as the <see cref="EventSourcingDiagnostics.TraceParentHeader"/> header when the
/// event's metadata has none (the caller's value is never replaced; correlation and causation ids are
/// never touched), and a projection batch links to the traces its events carry.
/// </summary>
internal static class TraceContext
{
    /// <summary>
    /// The <see cref="EventSourcingDiagnostics.TraceParentHeader"/> value to add to the stored metadata: the
    /// current activity's W3C id, or null when there is none or the metadata has its own.
    /// </summary>
    public static string? ParentToAdd(EventMetadata metadata)
    {
        var current = Activity.Current;
        return current is null || current.IdFormat != ActivityIdFormat.W3C || current.Id is not { } id
            || metadata.Headers.ContainsKey(EventSourcingDiagnostics.TraceParentHeader)
            ? null
            : id;
    }

    /// <summary>Links to the distinct traces the events carry, at most <paramref name="max"/>.</summary>
    public static List<ActivityLink>? Links(IReadOnlyList<EventEnvelope> events, int max)
    {
        List<ActivityLink>? links = null;
        HashSet<string>? seen = null;
        for (var i = 0; i < events.Count && (links is null || links.Count < max); i++)
        {
            if (events[i].Metadata.Headers.TryGetValue(EventSourcingDiagnostics.TraceParentHeader, out var parent)
                && (seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(parent)
                && ActivityContext.TryParse(parent, null, out var context))
            {
                (links ??= []).Add(new ActivityLink(context));
            }
        }

        return links;
    }
}
