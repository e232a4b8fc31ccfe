using BankAccount.Api.PostgresReadModels;
using BankAccount.Domain;
using BankAccount.Domain.ReadModels;
using Npgsql;

namespace BankAccount.Api;

/// <summary>
/// Picks the storage: the in-memory store and read models by default; PostgreSQL for both (events,
/// snapshots, checkpoints and the read-model tables) when <c>ConnectionStrings:EventStore</c> is set.
/// </summary>
internal static class BankStorage
{
    /// <summary>The name of the connection string that switches the API to PostgreSQL.</summary>
    public const string ConnectionStringName = "EventStore";

    public static EventSourcingBuilder AddBankStorage(this EventSourcingBuilder es, IConfiguration configuration)
    {
        es.AddBankEvents();
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return es.AddBankReadModels();
        }

        // One data source for the event store and the read models: one pool, and read-model queries see
        // what the store committed. The backend never disposes a data source it is given; the container
        // does (AddBankReadModelsOnPostgres registers it through a factory, which makes it the owner).
        var dataSource = NpgsqlDataSource.Create(connectionString);
        es.UsePostgres(o => o.DataSource = dataSource);
        return es.AddBankReadModelsOnPostgres(dataSource);
    }
}
