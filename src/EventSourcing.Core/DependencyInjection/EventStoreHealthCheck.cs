using EventSourcing.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Healthy when the event store answers for its head position (the registration's timeout bounds the wait).</summary>
internal sealed class EventStoreHealthCheck(IEventStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var head = await store.GetHeadPositionAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("The event store answers.", new Dictionary<string, object> { ["head"] = head.ToString() });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The event store does not answer: {ex.Message}", ex);
        }
    }
}
