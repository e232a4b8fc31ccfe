using System.Globalization;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>Fresh stream ids for write scenarios: a per-instance prefix and a counter, safe across threads.</summary>
public sealed class StreamIds
{
    private readonly string _prefix = "s" + Guid.NewGuid().ToString("N")[..10] + "-";
    private long _next;

    /// <summary>The next unused id.</summary>
    /// <returns>The id.</returns>
    public string Next() => _prefix + Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);
}
