using EventSourcing.Storage;
using EventSourcing.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EventSourcing.Sqlite.Tests;

/// <summary>UseSqlite without a host: the schema is applied by the first call, once.</summary>
public sealed class HostlessTests : IAsyncLifetime
{
    private TempDatabase _database = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _database = await TempDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Without_a_host_the_first_calls_apply_the_schema_and_every_store_works()
    {
        var file = Path.Combine(_database.Directory, "hostless", "app.db");
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es
            .UseJsonOptions(ConformanceJsonContext.Default.Options)
            .AddEvent<Incremented>("incremented")
            .UseSqlite(o => o.FilePath = file));
        await using (var provider = services.BuildServiceProvider())
        {
            // No hosted service started; a read, appends and a checkpoint at once, each the first call of its store.
            var store = provider.GetRequiredService<IEventStore>();
            var appends = Enumerable.Range(0, 4).Select(i => store.AppendAsync(StreamId.From($"s-{i}"), ExpectedVersion.NoStream, [new EventData(new Incremented(i + 1))], Ct).AsTask());
            var version = store.GetStreamVersionAsync(StreamId.From("s-0"), Ct).AsTask();
            var checkpoint = provider.GetRequiredService<ICheckpointStore>().LoadAsync("never", Ct).AsTask();

            var results = await Task.WhenAll(appends);
            await Task.WhenAll(version, checkpoint);

            Assert.All(results, r => Assert.Equal(1, r.NextExpectedVersion));
            Assert.Null(await checkpoint);
        }

        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection($"Data Source={file}");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        Assert.Equal((long)SqliteSchemaInitializer.LatestVersion, await command.ExecuteScalarAsync(Ct));
    }
}
