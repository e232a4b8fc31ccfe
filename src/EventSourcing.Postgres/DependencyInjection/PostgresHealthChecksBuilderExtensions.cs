using EventSourcing.Postgres;
using EventSourcing.Postgres.Internal;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the PostgreSQL backend's health checks to an application's health checks.</summary>
public static class PostgresHealthChecksBuilderExtensions
{
    /// <summary>The name of the check that the PostgreSQL schema is at this library's version.</summary>
    public const string SchemaCheckName = "eventsourcing-postgres-schema";

    /// <summary>
    /// Adds <see cref="SchemaCheckName"/>: Healthy when <see cref="PostgresSchemaInitializer.VerifyAsync"/>
    /// passes (every script of this library version applied with the same content, and the log aligned with
    /// the cluster), Unhealthy with its message otherwise or when the server does not answer within the
    /// timeout. Requires <c>UsePostgres</c>; pair it with <c>AddEventSourcing</c> for the store and projection checks.
    /// </summary>
    /// <param name="builder">The health checks builder, from <c>services.AddHealthChecks()</c>.</param>
    /// <param name="tags">The check's tags; <c>ready</c> when null.</param>
    /// <param name="timeout">How long the check may take; 5 seconds when null.</param>
    /// <returns>The builder, to chain more checks.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is not positive.</exception>
    public static IHealthChecksBuilder AddEventSourcingPostgresSchema(this IHealthChecksBuilder builder, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (timeout is { } t && t <= TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "The timeout must be positive (or infinite).");
        }

        builder.Add(new HealthCheckRegistration(
            SchemaCheckName,
            sp => new PostgresSchemaHealthCheck(sp.GetRequiredService<PostgresSchemaInitializer>()),
            HealthStatus.Unhealthy,
            tags?.ToArray() ?? ["ready"],
            timeout ?? TimeSpan.FromSeconds(5)));
        return builder;
    }
}
