using EventSourcing.Testing;
using EventSourcing.Projections;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

public sealed class DependencyInjectionTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task UsePostgres_inside_AddEventSourcing_replaces_the_in_memory_stores_and_applies_the_schema_at_start()
    {
        var schema = PostgresFixture.NewSchemaName("di");
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es
            .UseJsonOptions(ConformanceJsonContext.Default.Options)
            .AddEvent<Incremented>("incremented")
            .UsePostgres(pg =>
            {
                pg.ConnectionString = fixture.ConnectionString;
                pg.Schema = schema;
            }));

        ISnapshotStore snapshots;
        await using (var provider = services.BuildServiceProvider())
        {
            Assert.IsType<PostgresEventStore>(provider.GetRequiredService<IEventStore>());
            snapshots = provider.GetRequiredService<ISnapshotStore>();
            Assert.IsType<PostgresSnapshotStore>(provider.GetRequiredService<ISnapshotStore>());
            Assert.IsType<PostgresCheckpointStore>(provider.GetRequiredService<ICheckpointStore>());
            Assert.IsType<PostgresProjectionStore>(provider.GetRequiredService<IProjectionStore>());
            Assert.Same(provider.GetRequiredService<IEventStore>(), provider.GetRequiredService<PostgresEventStore>());
            Assert.Single(services, d => d.ServiceType == typeof(IEventStore));

            await StartHostedServicesAsync(provider);
            var store = provider.GetRequiredService<IEventStore>();
            var result = await store.AppendAsync(StreamId.From("di-stream"), ExpectedVersion.NoStream, [new EventData(new Incremented(3))], Ct);
            Assert.Equal(1, result.NextExpectedVersion);
            Assert.Equal(1, await store.GetStreamVersionAsync(StreamId.From("di-stream"), Ct));
        }

        // The data source built from the connection string belonged to the container and went with it.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => snapshots.LoadAsync(StreamId.From("di-stream"), Ct).AsTask());
    }

    [Fact]
    public async Task UsePostgres_after_AddEventSourcing_also_replaces_the_defaults_and_uses_a_given_data_source_without_disposing_it()
    {
        var options = await fixture.SchemaForAsync(GetType());
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented"))
            .UsePostgres(pg =>
            {
                pg.DataSource = dataSource;
                pg.Schema = options.Schema;
                pg.SchemaMode = SchemaMode.None;
            });

        await using (var provider = services.BuildServiceProvider())
        {
            Assert.IsType<PostgresEventStore>(provider.GetRequiredService<IEventStore>());
            Assert.IsType<PostgresProjectionStore>(provider.GetRequiredService<IProjectionStore>());
            Assert.Single(services, d => d.ServiceType == typeof(IEventStore));

            // The schema check runs before the projection daemon, even when UsePostgres comes last.
            Assert.Equal("PostgresSchemaHostedService", provider.GetServices<IHostedService>().First().GetType().Name);
            await StartHostedServicesAsync(provider);
            await provider.GetRequiredService<IEventStore>().AppendAsync(TestData.NewStream(), ExpectedVersion.Any, [new EventData(new Incremented(1))], Ct);
        }

        // Still usable: the container did not own it.
        Assert.Equal(1, await dataSource.ScalarAsync("select 1"));
    }

    [Fact]
    public async Task SchemaMode_None_fails_at_start_when_the_schema_is_missing()
    {
        var schema = PostgresFixture.NewSchemaName("none_missing");
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es.UsePostgres(pg =>
        {
            pg.ConnectionString = fixture.ConnectionString;
            pg.Schema = schema;
            pg.SchemaMode = SchemaMode.None;
        }));
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<EventStoreException>(() => StartHostedServicesAsync(provider));

        Assert.Contains(schema, error.Message, StringComparison.Ordinal);
        Assert.Null(await fixture.DataSource.ScalarAsync("select nspname from pg_namespace where nspname = $1", schema));
    }

    [Theory]
    [InlineData(null, false, "eventsourcing", 30, "neither")]
    [InlineData("Host=127.0.0.1;Port=1", true, "eventsourcing", 30, "only one")]
    [InlineData("Host=127.0.0.1;Port=1", false, "Bad-Schema", 30, "Bad-Schema")]
    [InlineData("Host=127.0.0.1;Port=1", false, "eventsourcing", 0, "CommandTimeout")]
    public async Task Invalid_options_fail_at_start_with_a_clear_message_before_any_SQL(string? connectionString, bool withDataSource, string schema, int timeoutSeconds, string expected)
    {
        await using var unreachable = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=1");
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es.UsePostgres(pg =>
        {
            pg.ConnectionString = connectionString;
            pg.DataSource = withDataSource ? unreachable : null;
            pg.Schema = schema;
            pg.CommandTimeout = TimeSpan.FromSeconds(timeoutSeconds);
        }));
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => StartHostedServicesAsync(provider));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Projections_registered_on_the_builder_run_inline_in_the_append_and_async_in_the_daemon()
    {
        var schema = PostgresFixture.NewSchemaName("di_projections");
        var inline = new TotalsProjection("inline-totals");
        var async = new TotalsProjection("async-totals");
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es
            .UseJsonOptions(ConformanceJsonContext.Default.Options)
            .AddEvent<Incremented>("incremented")
            .AddProjection(inline, ProjectionMode.Inline)
            .AddProjection(async, ProjectionMode.Async)
            .UsePostgres(pg =>
            {
                pg.ConnectionString = fixture.ConnectionString;
                pg.Schema = schema;
            }));
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<ProjectionOptions>().PollInterval = TimeSpan.FromSeconds(30);
        await StartHostedServicesAsync(provider);
        try
        {
            var store = provider.GetRequiredService<IEventStore>();
            var stream = TestData.NewStream("di-projected");
            var result = await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(4), Ct);

            Assert.Equal(10, inline.TotalOf(stream));

            // Woken by the store's commit, not by polling (the poll interval is 30 s).
            await provider.GetRequiredService<ProjectionDaemon>().WaitForPositionAsync("async-totals", result.Position, Ct);
            Assert.Equal(10, async.TotalOf(stream));
        }
        finally
        {
            foreach (var service in provider.GetServices<IHostedService>().Reverse())
            {
                await service.StopAsync(Ct);
            }
        }
    }

    private static async Task StartHostedServicesAsync(IServiceProvider provider)
    {
        foreach (var service in provider.GetServices<IHostedService>())
        {
            await service.StartAsync(Ct);
        }
    }

    [Fact]
    public async Task Two_keyed_stores_in_two_schemas_and_the_default_one_are_independent_without_a_host()
    {
        var (first, second, third) = (PostgresFixture.NewSchemaName("keyed_a"), PostgresFixture.NewSchemaName("keyed_b"), PostgresFixture.NewSchemaName("keyed_default"));
        var services = new ServiceCollection();
        services.AddNpgsqlDataSource(fixture.ConnectionString, serviceKey: "app-db");
        services.AddEventSourcing(es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented").AddEvent<Noted>("noted")
            .UsePostgres(pg => (pg.ConnectionString, pg.Schema) = (fixture.ConnectionString, third)));
        services.AddKeyedEventSourcing("a", es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented").AddEvent<Noted>("noted")
            .UsePostgres(pg => (pg.ConnectionString, pg.Schema) = (fixture.ConnectionString, first)));
        services.AddKeyedEventSourcing("b", es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented").AddEvent<Noted>("noted")
            .UseNpgsqlDataSource(pg => pg.Schema = second, serviceKey: "app-db"));
        ISnapshotStore snapshotsOfA;
        await using (var provider = services.BuildServiceProvider())
        {
            var stream = await KeyedStoreChecks.AssertIndependentAsync(provider, "a", "b");

            Assert.IsType<PostgresEventStore>(provider.GetRequiredKeyedService<IEventStore>("a"));
            Assert.IsType<PostgresSnapshotStore>(provider.GetRequiredKeyedService<ISnapshotStore>("b"));
            snapshotsOfA = provider.GetRequiredKeyedService<ISnapshotStore>("a");
            Assert.Null(await snapshotsOfA.LoadAsync(stream, Ct));
            // Each schema holds its own store's events only (the default store wrote one event, "a" one, "b" two).
            Assert.Equal((1L, 2L, 1L), (await CountAsync(first, stream), await CountAsync(second, stream), await CountAsync(third, stream)));
        }

        // The keyed store's own container, with the data source it built from its connection string, went with the application's.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => snapshotsOfA.LoadAsync(StreamId.From("after-dispose"), Ct).AsTask());
    }

    private async Task<long> CountAsync(string schema, StreamId stream)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM {schema}.events WHERE stream_id = $1");
        command.Parameters.AddWithValue(stream.Value);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
