using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventSourcing.Sqlite.Internal;

/// <summary>At start: validates the options (before any file is touched), then applies the schema.</summary>
internal sealed class SqliteSchemaHostedService(SqliteOptions options, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        options.Validate();
        return services.GetRequiredService<SqliteDatabaseProvider>().Database.EnsureSchemaAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
