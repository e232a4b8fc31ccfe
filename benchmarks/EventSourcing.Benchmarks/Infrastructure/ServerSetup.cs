using EventSourcing.Testing.Postgres;
using Npgsql;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>Prepares the one server of a run: durable settings and a fresh database per system.</summary>
public static class ServerSetup
{
    private static readonly string[] Durable = ["fsync", "synchronous_commit", "full_page_writes"];

    /// <summary>Makes the settings durable (only on a server this run started) and recreates the databases.</summary>
    /// <param name="server">The server.</param>
    /// <returns>A warning when a server from the environment is not durable, else null.</returns>
    public static async Task<string?> PrepareAsync(PostgresServer server)
    {
        string? warning = null;
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync();
            var off = new List<string>();
            foreach (var name in Durable)
            {
                await using var show = new NpgsqlCommand($"show {name}", connection);
                if ((string?)await show.ExecuteScalarAsync() != "on")
                {
                    off.Add(name);
                }
            }

            if (off.Count > 0 && server.Source == "environment")
            {
                warning = $"The server from {PostgresServer.EnvironmentVariable} runs with {string.Join(", ", off)} off: these results are not durable-write results.";
            }
            else if (off.Count > 0)
            {
                foreach (var name in off)
                {
                    await using var set = new NpgsqlCommand($"alter system set {name} = on", connection);
                    await set.ExecuteNonQueryAsync();
                }

                await using var reload = new NpgsqlCommand("select pg_reload_conf()", connection);
                await reload.ExecuteNonQueryAsync();
            }
        }

        foreach (var database in Databases.All)
        {
            await server.CreateDatabaseAsync(database);
        }

        return warning;
    }
}
