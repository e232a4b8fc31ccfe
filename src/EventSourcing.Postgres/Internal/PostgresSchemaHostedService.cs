using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventSourcing.Postgres.Internal;

/// <summary>At start: validates the options (before any SQL), then applies or verifies the schema.</summary>
internal sealed class PostgresSchemaHostedService(PostgresOptions options, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        options.Validate();
        var initializer = services.GetRequiredService<PostgresSchemaInitializer>();
        return options.SchemaMode == SchemaMode.CreateOrUpdate
            ? initializer.ApplyAsync(cancellationToken)
            : initializer.VerifyAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
