using EventSourcing.Testing.Postgres;
using Npgsql;

namespace BankAccount.Api.Tests;

/// <summary>
/// The API on PostgreSQL: a throwaway server (see <see cref="PostgresServer"/>), a database of its own,
/// and <c>ConnectionStrings:EventStore</c> pointing at it, exactly as an operator would configure it.
/// </summary>
public sealed class PostgresApiHost : ApiHost
{
    private PostgresServer? _server;
    private string? _database;

    /// <inheritdoc />
    public override bool InstancesShareStorage => true;

    protected override async ValueTask ConfigureAsync(List<string> args)
    {
        _server = await PostgresServer.StartAsync(TestContext.Current.CancellationToken);
        _database = "bank_api_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(_server.ConnectionString))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", connection);
            await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var connectionString = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Database = _database }.ConnectionString;
        args.Add("--ConnectionStrings:EventStore=" + connectionString);
    }

    protected override async ValueTask CleanUpAsync()
    {
        if (_server is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await using (var connection = new NpgsqlConnection(_server.ConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        await _server.DisposeAsync();
    }
}
