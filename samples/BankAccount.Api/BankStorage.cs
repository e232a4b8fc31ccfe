using BankAccount.Api.Http;
using BankAccount.Api.PostgresReadModels;
using BankAccount.Domain;
using BankAccount.Domain.ReadModels;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace BankAccount.Api;

/// <summary>
/// Picks the storage: the in-memory store, read models and idempotency records by default; PostgreSQL for
/// all of them (events, snapshots, checkpoints, the read-model tables and the idempotency records) when
/// <c>ConnectionStrings:EventStore</c> is set.
/// </summary>
internal static class BankStorage
{
    /// <summary>The name of the connection string that switches the API to PostgreSQL.</summary>
    public const string ConnectionStringName = "EventStore";

    /// <summary>True when the configuration switches the API to PostgreSQL.</summary>
    public static bool UsesPostgres(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration.GetConnectionString(ConnectionStringName));

    public static EventSourcingBuilder AddBankStorage(this EventSourcingBuilder es, IConfiguration configuration)
    {
        es.AddBankEvents();
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            es.Services.TryAddSingleton<IIdempotencyRecords, InMemoryIdempotencyRecords>();
            return es.AddBankReadModels();
        }

        // One data source for the event store and the read models: one pool, and read-model queries see
        // what the store committed. The backend never disposes a data source it is given; the container
        // does (AddBankReadModelsOnPostgres registers it through a factory, which makes it the owner).
        var dataSource = NpgsqlDataSource.Create(connectionString);
        es.UsePostgres(o => o.DataSource = dataSource);
        es.Services.TryAddSingleton<IIdempotencyRecords, PostgresIdempotencyRecords>();
        return es.AddBankReadModelsOnPostgres(dataSource);
    }
}
