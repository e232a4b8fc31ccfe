using EventSourcing.Testing;
using EventSourcing.Serialization;
using Npgsql;

namespace EventSourcing.Postgres.Tests;

/// <summary>Helpers the Postgres-only tests share.</summary>
internal static class TestSupport
{
    public static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    public static EventTypeRegistry NewRegistry() => TestData.NewRegistry();

    public static async Task<List<EventEnvelope>> ReadStreamListAsync(this PostgresEventStore store, StreamId stream)
    {
        var result = new List<EventEnvelope>();
        await foreach (var e in store.ReadStreamAsync(stream, cancellationToken: Ct))
        {
            result.Add(e);
        }

        return result;
    }

    public static async Task<List<EventEnvelope>> ReadAllListAsync(this PostgresEventStore store, GlobalPosition after, int max = int.MaxValue)
    {
        var result = new List<EventEnvelope>();
        await foreach (var e in store.ReadAllAsync(after, max, cancellationToken: Ct))
        {
            result.Add(e);
        }

        return result;
    }

    public static async Task<object?> ScalarAsync(this NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        return await command.ExecuteScalarAsync(Ct);
    }

    public static async Task<int> ExecuteAsync(this NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        return await command.ExecuteNonQueryAsync(Ct);
    }

    /// <summary>Waits (polling, no time limit but the test's cancellation) until a condition holds.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        while (!await condition())
        {
            await Task.Delay(10, Ct);
        }
    }

    /// <summary>
    /// Another writer's transaction, left open: <paramref name="sql"/> (its one parameter the stream id) run
    /// in a transaction on an unpooled connection, which the caller ends (commit or rollback) or disposes.
    /// </summary>
    public static async Task<Held> HoldAsync(string connectionString, string sql, StreamId stream)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Ct);
        var transaction = await connection.BeginTransactionAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue(stream.Value);
        await command.ExecuteNonQueryAsync(Ct);
        return new Held(connection, transaction);
    }

    /// <summary>An unpooled data source whose sessions carry <paramref name="application"/> as their name (see <see cref="WaitForLockAsync"/>).</summary>
    public static NpgsqlDataSource NamedSource(string connectionString, string application) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = application, Pooling = false }.ConnectionString);

    /// <summary>Waits until the one session named <paramref name="application"/> waits for a lock.</summary>
    public static Task WaitForLockAsync(this NpgsqlDataSource dataSource, string application) =>
        WaitUntilAsync(async () =>
            await dataSource.ScalarAsync("select count(*) from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'", application) is 1L);

    /// <summary>A transaction held open on its own connection (<see cref="HoldAsync"/>); disposing ends both.</summary>
    public sealed record Held(NpgsqlConnection Connection, NpgsqlTransaction Transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }
}
