using EventSourcing.Projections;
using EventSourcing.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds EventSourcing's health checks to an application's health checks.</summary>
public static class EventSourcingHealthChecksBuilderExtensions
{
    /// <summary>The name of the check that the event store answers.</summary>
    public const string StoreCheckName = "eventsourcing-store";

    /// <summary>The name of the check that every async projection runs and keeps up.</summary>
    public const string ProjectionsCheckName = "eventsourcing-projections";

    /// <summary>
    /// Adds two checks, tagged with <see cref="EventSourcingHealthCheckOptions.Tags"/>:
    /// <see cref="StoreCheckName"/> (the <see cref="IEventStore"/> answers for its head position within the
    /// timeout) and <see cref="ProjectionsCheckName"/> (every async projection of the
    /// <see cref="ProjectionDaemon"/> is running: a stopped or faulted one is Unhealthy; one standing by
    /// because another instance holds its lease is Healthy; a running one whose lag is above
    /// <see cref="EventSourcingHealthCheckOptions.DegradedLag"/> is Degraded, above
    /// <see cref="EventSourcingHealthCheckOptions.UnhealthyLag"/> Unhealthy). Requires <c>AddEventSourcing</c> on the services.
    /// </summary>
    /// <param name="builder">The health checks builder, from <c>services.AddHealthChecks()</c>.</param>
    /// <param name="configure">Sets the thresholds, timeout and tags.</param>
    /// <returns>The builder, to chain more checks.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A threshold or the timeout is out of range.</exception>
    public static IHealthChecksBuilder AddEventSourcing(this IHealthChecksBuilder builder, Action<EventSourcingHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new EventSourcingHealthCheckOptions();
        configure?.Invoke(options);
        options.Validate();
        var tags = options.Tags.ToArray();
        builder.Add(new HealthCheckRegistration(StoreCheckName, sp => new EventStoreHealthCheck(sp.GetRequiredService<IEventStore>()), HealthStatus.Unhealthy, tags, options.Timeout));
        builder.Add(new HealthCheckRegistration(ProjectionsCheckName, sp => new ProjectionsHealthCheck(sp.GetService<ProjectionDaemon>(), options.DegradedLag, options.UnhealthyLag), HealthStatus.Unhealthy, tags, options.Timeout));
        return builder;
    }
}
