using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// At start: validates the options (before any SQL), refuses a transaction-mode pooler that shows itself
/// while <see cref="PostgresOptions.TransactionPooling"/> is off, then applies or verifies the schema.
/// </summary>
internal sealed class PostgresSchemaHostedService(PostgresOptions options, IServiceProvider services) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        options.Validate();
        if (!options.TransactionPooling)
        {
            var dataSource = services.GetRequiredService<PostgresDataSourceProvider>().DataSource;
            if (await TransactionPoolerProbe.SharedBackendAsync(dataSource, options.CommandTimeoutSeconds, cancellationToken).ConfigureAwait(false) is { } pid)
            {
                throw TransactionPoolerProbe.Refusal(pid);
            }
        }

        // The same once-only step the stores run on first use without a host; it logs what it did.
        await services.GetRequiredService<PostgresBackend>().EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
