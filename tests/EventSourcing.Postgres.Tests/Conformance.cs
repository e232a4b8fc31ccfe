using Npgsql;
using EventSourcing.Testing;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace EventSourcing.Postgres.Tests;

public sealed class PostgresEventStoreConformance(PostgresFixture fixture) : EventStoreConformance
{
    protected override async ValueTask<IEventStore> CreateEventStoreAsync(EventTypeRegistry registry, TimeProvider timeProvider) =>
        new PostgresEventStore(fixture.DataSource, registry, await fixture.SchemaForAsync(GetType()), timeProvider);
}

public sealed class PostgresSnapshotStoreConformance(PostgresFixture fixture) : SnapshotStoreConformance
{
    protected override async ValueTask<ISnapshotStore> CreateSnapshotStoreAsync() =>
        new PostgresSnapshotStore(fixture.DataSource, await fixture.SchemaForAsync(GetType()));
}

public sealed class PostgresCheckpointStoreConformance(PostgresFixture fixture) : CheckpointStoreConformance
{
    protected override async ValueTask<ICheckpointStore> CreateCheckpointStoreAsync() =>
        new PostgresCheckpointStore(fixture.DataSource, await fixture.SchemaForAsync(GetType()));
}

public sealed class PostgresRepositoryConformance(PostgresFixture fixture) : RepositoryConformance
{
    protected override async ValueTask<(IEventStore Events, ISnapshotStore Snapshots)> CreateStoresAsync(EventTypeRegistry registry, TimeProvider timeProvider)
    {
        var options = await fixture.SchemaForAsync(GetType());
        return (new PostgresEventStore(fixture.DataSource, registry, options, timeProvider), new PostgresSnapshotStore(fixture.DataSource, options));
    }
}

public sealed class PostgresProjectionConformance(PostgresFixture fixture) : ProjectionConformance
{
    protected override async ValueTask<(IEventStore Events, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry, IReadOnlyList<IProjection> inlineProjections)
    {
        // An empty log per test: a schema of its own.
        var options = await fixture.CreateSchemaAsync("projections");
        var events = new PostgresEventStore(fixture.DataSource, registry, options) { InlineProjections = inlineProjections };
        return (events, new PostgresProjectionStore(fixture.DataSource, TestData.NewRegistry(), options));
    }
}

public sealed class PostgresStressConformance(PostgresFixture fixture) : StressConformance
{
    // Keeps the load under about 10 s on a 2-core machine; EVENTSOURCING_STRESS=long runs 16 x 10,000.
    protected override int BoundedAppendsPerWriter => 150;

    protected override async ValueTask<(IEventStore Events, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry)
    {
        // An empty log: a schema of its own.
        var options = await fixture.CreateSchemaAsync("stress");
        return (new PostgresEventStore(fixture.DataSource, registry, options), new PostgresProjectionStore(fixture.DataSource, TestData.NewRegistry(), options));
    }
}

/// <summary>
/// The conformance kit again, through a real PgBouncer in transaction pooling mode with few server
/// connections (so clients share them), with <see cref="PostgresOptions.TransactionPooling"/> set.
/// </summary>
internal static class Pooled
{
    /// <summary>Server connections of the conformance pooler: few, so clients share them; enough for the suites' concurrent transactions.</summary>
    public const int PoolSize = 3;

    public static async Task<(NpgsqlDataSource DataSource, PostgresOptions Options)> ForAsync(PostgresFixture fixture, PostgresOptions schema)
    {
        var pooler = await fixture.PoolerAsync(PoolSize);
        var options = new PostgresOptions { Schema = schema.Schema, TransactionPooling = true };
        return (Sources.GetOrAdd(pooler.ConnectionString, s => NpgsqlDataSource.Create(s)), options);
    }

    /// <summary>One data source per pooler for the whole run (disposed with the process, like the pooler's clients).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, NpgsqlDataSource> Sources = new();
}

public sealed class PooledEventStoreConformance(PostgresFixture fixture) : EventStoreConformance
{
    protected override async ValueTask<IEventStore> CreateEventStoreAsync(EventTypeRegistry registry, TimeProvider timeProvider)
    {
        var (dataSource, options) = await Pooled.ForAsync(fixture, await fixture.SchemaForAsync(GetType()));
        return new PostgresEventStore(dataSource, registry, options, timeProvider);
    }
}

public sealed class PooledSnapshotStoreConformance(PostgresFixture fixture) : SnapshotStoreConformance
{
    protected override async ValueTask<ISnapshotStore> CreateSnapshotStoreAsync()
    {
        var (dataSource, options) = await Pooled.ForAsync(fixture, await fixture.SchemaForAsync(GetType()));
        return new PostgresSnapshotStore(dataSource, options);
    }
}

public sealed class PooledCheckpointStoreConformance(PostgresFixture fixture) : CheckpointStoreConformance
{
    protected override async ValueTask<ICheckpointStore> CreateCheckpointStoreAsync()
    {
        var (dataSource, options) = await Pooled.ForAsync(fixture, await fixture.SchemaForAsync(GetType()));
        return new PostgresCheckpointStore(dataSource, options);
    }
}

public sealed class PooledRepositoryConformance(PostgresFixture fixture) : RepositoryConformance
{
    protected override async ValueTask<(IEventStore Events, ISnapshotStore Snapshots)> CreateStoresAsync(EventTypeRegistry registry, TimeProvider timeProvider)
    {
        var (dataSource, options) = await Pooled.ForAsync(fixture, await fixture.SchemaForAsync(GetType()));
        return (new PostgresEventStore(dataSource, registry, options, timeProvider), new PostgresSnapshotStore(dataSource, options));
    }
}

public sealed class PooledProjectionConformance(PostgresFixture fixture) : ProjectionConformance
{
    protected override async ValueTask<(IEventStore Events, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry, IReadOnlyList<IProjection> inlineProjections)
    {
        var (dataSource, options) = await Pooled.ForAsync(fixture, await fixture.CreateSchemaAsync("pooled_projections"));
        var events = new PostgresEventStore(dataSource, registry, options) { InlineProjections = inlineProjections };
        return (events, new PostgresProjectionStore(dataSource, TestData.NewRegistry(), options));
    }
}

public sealed class PostgresObservabilityConformance(PostgresFixture fixture) : ObservabilityConformance
{
    protected override string DbSystemName => "postgresql";

    protected override string StoreSourceName => PostgresDiagnostics.SourceName;

    protected override async ValueTask<(IEventStore Events, ISnapshotStore Snapshots, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry)
    {
        var options = await fixture.CreateSchemaAsync("observability");
        return (new PostgresEventStore(fixture.DataSource, registry, options), new PostgresSnapshotStore(fixture.DataSource, options), new PostgresProjectionStore(fixture.DataSource, TestData.NewRegistry(), options));
    }
}

public sealed class PostgresTypedProjectionConformance(PostgresFixture fixture) : TypedProjectionConformance<PostgresProjectionContext>
{
    protected override ValueTask<IServiceProvider> CreateServicesAsync(Action<EventSourcingBuilder> configure) =>
        ValueTask.FromResult(KitServices.Postgres(fixture, "typed", configure));
}

public sealed class PostgresDocumentConformance(PostgresFixture fixture) : DocumentConformance
{
    protected override ValueTask<IServiceProvider> CreateServicesAsync(Action<EventSourcingBuilder> configure) =>
        ValueTask.FromResult(KitServices.Postgres(fixture, "documents", configure));
}

/// <summary>Documents through a real PgBouncer in transaction pooling mode.</summary>
public sealed class PooledDocumentConformance(PostgresFixture fixture) : DocumentConformance
{
    protected override async ValueTask<IServiceProvider> CreateServicesAsync(Action<EventSourcingBuilder> configure)
    {
        var pooler = await fixture.PoolerAsync(Pooled.PoolSize);
        return new ServiceCollection().AddEventSourcing(es =>
        {
            configure(es);
            es.UsePostgres(o =>
            {
                o.ConnectionString = pooler.ConnectionString;
                o.Schema = PostgresFixture.NewSchemaName("pooled_documents");
                o.TransactionPooling = true;
            });
        }).Services.BuildServiceProvider();
    }
}

/// <summary>Containers for the kit's DI-based suites: a new schema per test (created when the host starts).</summary>
internal static class KitServices
{
    public static IServiceProvider Postgres(PostgresFixture fixture, string hint, Action<EventSourcingBuilder> configure) =>
        new ServiceCollection().AddEventSourcing(es =>
        {
            configure(es);
            es.UsePostgres(o =>
            {
                o.ConnectionString = fixture.ConnectionString;
                o.Schema = PostgresFixture.NewSchemaName(hint);
            });
        }).Services.BuildServiceProvider();
}
