using EventSourcing.Storage;
using EventSourcing.Testing;
using EventSourcing.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>The store and schema health checks against real PostgreSQL servers.</summary>
public sealed class HealthCheckTests(PostgresFixture fixture)
{
    private const string Store = EventSourcingHealthChecksBuilderExtensions.StoreCheckName;
    private const string Schema = PostgresHealthChecksBuilderExtensions.SchemaCheckName;

    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task The_schema_check_is_unhealthy_until_the_schema_is_applied()
    {
        var schema = PostgresFixture.NewSchemaName("health_schema");
        await using var provider = Build(pg =>
        {
            pg.DataSource = fixture.DataSource;
            pg.Schema = schema;
            pg.SchemaMode = SchemaMode.None;
        });

        var missing = await CheckAsync(provider);
        Assert.Equal(HealthStatus.Unhealthy, missing.Entries[Schema].Status);
        Assert.Contains("does not exist", missing.Entries[Schema].Description, StringComparison.Ordinal);
        Assert.IsType<EventStoreException>(missing.Entries[Schema].Exception);
        Assert.Equal(["ready"], missing.Entries[Schema].Tags);

        await provider.GetRequiredService<PostgresSchemaInitializer>().ApplyAsync(Ct);

        var applied = await CheckAsync(provider);
        Assert.Equal(HealthStatus.Healthy, applied.Entries[Schema].Status);
        Assert.Equal(HealthStatus.Healthy, applied.Entries[Store].Status);
        Assert.Equal(HealthStatus.Healthy, applied.Status);
    }

    [Fact]
    public async Task The_store_check_is_unhealthy_while_the_server_is_down_and_healthy_again_after_it_restarts()
    {
        await using var server = await PostgresServer.StartLocalAsync(transactionEpoch: 0, Ct);
        var connectionString = await server.CreateDatabaseAsync("es_health", Ct);
        await using var provider = Build(pg => pg.ConnectionString = connectionString);
        await provider.GetRequiredService<PostgresSchemaInitializer>().ApplyAsync(Ct);
        await provider.GetRequiredService<IEventStore>().AppendAsync(TestData.NewStream("health"), ExpectedVersion.NoStream, TestData.Increments(2), Ct);

        var up = await CheckAsync(provider);
        Assert.Equal(HealthStatus.Healthy, up.Status);

        await server.StopServerAsync(Ct);
        var down = await CheckAsync(provider);
        Assert.Equal(HealthStatus.Unhealthy, down.Entries[Store].Status);
        Assert.Equal(HealthStatus.Unhealthy, down.Entries[Schema].Status);
        Assert.NotNull(down.Entries[Store].Exception);

        await server.StartServerAsync(Ct);
        var again = await CheckAsync(provider);
        Assert.Equal(HealthStatus.Healthy, again.Entries[Store].Status);
        Assert.Equal(HealthStatus.Healthy, again.Entries[Schema].Status);
    }

    private static ServiceProvider Build(Action<PostgresOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddEventSourcing(es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented").UsePostgres(configure));
        services.AddHealthChecks().AddEventSourcing().AddEventSourcingPostgresSchema();
        return services.BuildServiceProvider();
    }

    private static Task<HealthReport> CheckAsync(ServiceProvider provider) =>
        provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);
}
