using EventSourcing.Projections;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Every async projection runs (or stands by for another instance holding its lease) and is within the
/// lag thresholds. The data holds each projection's state and lag.
/// </summary>
internal sealed class ProjectionsHealthCheck(ProjectionDaemon? daemon, int degradedLag, int unhealthyLag) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (daemon is null || daemon.Projections.Count == 0)
        {
            return HealthCheckResult.Healthy("No async projections.");
        }

        if (daemon.Mode == ProjectionDaemonMode.Disabled)
        {
            return HealthCheckResult.Healthy("The projection daemon is disabled on this node (other nodes run the projections).");
        }

        var worst = HealthStatus.Healthy;
        var problems = new List<string>();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        Exception? error = null;
        foreach (var name in daemon.Projections.Order(StringComparer.Ordinal))
        {
            var status = daemon.GetStatus(name);
            data[name + ".state"] = status.State.ToString();
            switch (status.State)
            {
                case ProjectionState.Faulted:
                    worst = HealthStatus.Unhealthy;
                    error ??= status.Error;
                    problems.Add($"'{name}' failed: {status.Error?.Message}");
                    continue;
                case ProjectionState.Stopped:
                    worst = HealthStatus.Unhealthy;
                    problems.Add($"'{name}' is not running");
                    continue;
                case ProjectionState.Standby:
                    // Another instance holds the lease and runs it; its health is that instance's.
                    continue;
            }

            long lag;
            try
            {
                lag = await daemon.GetLagAsync(name, unhealthyLag + 1, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                worst = HealthStatus.Unhealthy;
                error ??= ex;
                problems.Add($"the lag of '{name}' cannot be read: {ex.Message}");
                continue;
            }

            data[name + ".lag"] = lag;
            if (lag > unhealthyLag)
            {
                worst = HealthStatus.Unhealthy;
                problems.Add($"'{name}' is more than {unhealthyLag} events behind");
            }
            else if (lag > degradedLag)
            {
                worst = worst == HealthStatus.Unhealthy ? worst : HealthStatus.Degraded;
                problems.Add($"'{name}' is {lag} events behind (more than {degradedLag})");
            }
        }

        var description = problems.Count == 0 ? "Every async projection is running and keeping up." : string.Join("; ", problems) + ".";
        return worst == HealthStatus.Unhealthy
            ? new HealthCheckResult(context.Registration.FailureStatus, description, error, data)
            : new HealthCheckResult(worst, description, exception: null, data);
    }
}
