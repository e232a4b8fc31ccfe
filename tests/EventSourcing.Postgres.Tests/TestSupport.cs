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
}
