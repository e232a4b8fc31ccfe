using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventSourcing.Postgres.Internal;

/// <summary>Healthy when <see cref="PostgresSchemaInitializer.VerifyAsync"/> passes; its message says what is wrong otherwise.</summary>
internal sealed class PostgresSchemaHealthCheck(PostgresSchemaInitializer schema) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await schema.VerifyAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"The schema is at version {PostgresSchemaInitializer.LatestVersion}.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, ex.Message, ex);
        }
    }
}
