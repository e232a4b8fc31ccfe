namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Thresholds and tags of the EventSourcing health checks added by
/// <see cref="EventSourcingHealthChecksBuilderExtensions.AddEventSourcing(IHealthChecksBuilder, Action{EventSourcingHealthCheckOptions}?)"/>.
/// </summary>
public sealed class EventSourcingHealthCheckOptions
{
    /// <summary>
    /// A running async projection more than this many events behind the log reports Degraded. Default 1,000.
    /// </summary>
    public int DegradedLag { get; set; } = 1_000;

    /// <summary>
    /// A running async projection more than this many events behind the log reports Unhealthy; at least
    /// <see cref="DegradedLag"/>, below <see cref="int.MaxValue"/>. Default 100,000 (the lag is counted up to one more).
    /// </summary>
    public int UnhealthyLag { get; set; } = 100_000;

    /// <summary>How long each check may take before it reports Unhealthy. Default 5 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The tags of the checks, so an application can select them for an endpoint (e.g. readiness).
    /// Default: <c>ready</c>.
    /// </summary>
    public ICollection<string> Tags { get; } = new List<string> { "ready" };

    internal void Validate()
    {
        if (DegradedLag < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(DegradedLag), DegradedLag, "The degraded lag cannot be negative.");
        }

        if (UnhealthyLag < DegradedLag || UnhealthyLag == int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(UnhealthyLag), UnhealthyLag, $"The unhealthy lag must be at least the degraded lag ({DegradedLag}) and below int.MaxValue.");
        }

        if (Timeout <= TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "The timeout must be positive (or infinite).");
        }
    }
}
