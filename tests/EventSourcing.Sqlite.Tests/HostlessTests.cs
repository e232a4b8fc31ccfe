using EventSourcing.Storage;
using EventSourcing.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
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

    [Fact]
    public async Task UseSqlite_reads_its_options_from_a_configuration_section_or_from_services()
    {
        var file = Path.Combine(_database.Directory, "configured", "app.db");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Events:FilePath"] = file,
            ["Events:BusyTimeout"] = "00:00:05",
        }).Build();
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es
            .UseJsonOptions(ConformanceJsonContext.Default.Options)
            .AddEvent<Incremented>("incremented")
            .UseSqlite(configuration.GetSection("Events")));
        await using (var provider = services.BuildServiceProvider())
        {
            var options = provider.GetRequiredService<SqliteOptions>();
            Assert.Equal((file, TimeSpan.FromSeconds(5)), (options.FilePath, options.BusyTimeout));
            var result = await provider.GetRequiredService<IEventStore>().AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, [new EventData(new Incremented(1))], Ct);
            Assert.Equal(1, result.NextExpectedVersion);
        }

        var fromServices = new ServiceCollection();
        fromServices.AddSingleton(new AppPaths(file));
        fromServices.AddEventSourcing(es => es.UseSqlite((sp, o) => o.FilePath = sp.GetRequiredService<AppPaths>().Database));
        await using var second = fromServices.BuildServiceProvider();
        Assert.Equal(file, second.GetRequiredService<SqliteOptions>().FilePath);

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Events:FilePath"] = file, ["Events:BusyTimeout"] = "soon" }).Build();
        var badServices = new ServiceCollection();
        badServices.AddEventSourcing(es => es.UseSqlite(bad.GetSection("Events")));
        await using var third = badServices.BuildServiceProvider();
        var error = Assert.Throws<ArgumentException>(third.GetRequiredService<SqliteOptions>);
        Assert.Contains("'soon' at 'Events:BusyTimeout'", error.Message, StringComparison.Ordinal);
    }

    private sealed record AppPaths(string Database);

    [Fact]
    public async Task Two_keyed_stores_in_two_files_and_the_default_one_are_independent_without_a_host()
    {
        var (first, second, third) = (Path.Combine(_database.Directory, "keyed", "a.db"), Path.Combine(_database.Directory, "keyed", "b.db"), Path.Combine(_database.Directory, "keyed", "default.db"));
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented").AddEvent<Noted>("noted").UseSqlite(o => o.FilePath = third));
        services.AddKeyedEventSourcing("a", es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented").AddEvent<Noted>("noted").UseSqlite(o => o.FilePath = first));
        services.AddKeyedEventSourcing("b", es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented").AddEvent<Noted>("noted").UseSqlite(o => o.FilePath = second));
        StreamId stream;
        await using (var provider = services.BuildServiceProvider())
        {
            stream = await KeyedStoreChecks.AssertIndependentAsync(provider, "a", "b");
            Assert.IsType<SqliteEventStore>(provider.GetRequiredKeyedService<IEventStore>("a"));
            Assert.IsType<SqliteSnapshotStore>(provider.GetRequiredKeyedService<ISnapshotStore>("b"));
        }

        // Each file holds its own store's events only (the default store wrote one event, "a" one, "b" two).
        SqliteConnection.ClearAllPools();
        Assert.Equal((1L, 2L, 1L), (await CountAsync(first, stream), await CountAsync(second, stream), await CountAsync(third, stream)));
    }

    private static async Task<long> CountAsync(string file, StreamId stream)
    {
        await using var connection = new SqliteConnection($"Data Source={file}");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM events WHERE stream_id = $stream";
        command.Parameters.AddWithValue("$stream", stream.Value);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
