using BankAccount.Domain.ReadModels;
using EventSourcing.Projections;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace BankAccount.Api.PostgresReadModels;

/// <summary>Registers the bank's read models as PostgreSQL tables, behind the same query interfaces as the in-memory ones.</summary>
internal static class PostgresBankReadModels
{
    /// <summary>
    /// Adds the current state (inline: in the append's transaction), analytics and audit log (async: with
    /// the daemon's checkpoint), on <paramref name="dataSource"/>, the one the event store uses too; and a
    /// hosted service, first among them, that creates the tables.
    /// </summary>
    public static EventSourcingBuilder AddBankReadModelsOnPostgres(this EventSourcingBuilder es, NpgsqlDataSource dataSource, string schema = BankTables.DefaultSchema)
    {
        var services = es.Services;
        services.TryAddSingleton(new BankTables(schema));
        services.TryAddSingleton(_ => dataSource); // a factory registration: the container disposes it
        es.AddProjection<PostgresCurrentStateProjection>(ProjectionMode.Inline)
            .AddProjection<PostgresAnalyticsProjection>(ProjectionMode.Async)
            .AddProjection<PostgresAuditLogProjection>(ProjectionMode.Async);
        services.TryAddSingleton<IAccountQueries>(sp => sp.GetRequiredService<PostgresCurrentStateProjection>());
        services.TryAddSingleton<IAnalyticsQueries>(sp => sp.GetRequiredService<PostgresAnalyticsProjection>());
        services.TryAddSingleton<IAuditLogQueries>(sp => sp.GetRequiredService<PostgresAuditLogProjection>());
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, BankTablesInitializer>());
        return es;
    }

    /// <summary>Creates the read-model tables at start, before the projection daemon and the server start.</summary>
    private sealed class BankTablesInitializer(BankTables tables, NpgsqlDataSource dataSource) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

            // One instance at a time: CREATE ... IF NOT EXISTS still races on the catalog.
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext('bank-read-models'))", connection))
            {
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var create = new NpgsqlCommand(tables.CreateSql, connection))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext('bank-read-models'))", connection);
            await unlock.ExecuteNonQueryAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
