using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using EventSourcing.Testing;
using Microsoft.Extensions.DependencyInjection;

using Xunit;

namespace EventSourcing.Sqlite.Tests;

// Every kit suite, each test on a fresh database file in a temporary directory (xunit makes one instance
// of the class per test and disposes it after the test, which deletes the directory).

public sealed class SqliteEventStoreConformance : EventStoreConformance, IAsyncLifetime
{
    private TempDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TempDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    protected override ValueTask<IEventStore> CreateEventStoreAsync(EventTypeRegistry registry, TimeProvider timeProvider) =>
        ValueTask.FromResult<IEventStore>(_database.Own(new SqliteEventStore(_database.Options(), registry, timeProvider)));
}

public sealed class SqliteSnapshotStoreConformance : SnapshotStoreConformance, IAsyncLifetime
{
    private TempDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TempDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    protected override ValueTask<ISnapshotStore> CreateSnapshotStoreAsync() =>
        ValueTask.FromResult<ISnapshotStore>(new SqliteSnapshotStore(_database.Options()));
}

public sealed class SqliteCheckpointStoreConformance : CheckpointStoreConformance, IAsyncLifetime
{
    private TempDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TempDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    protected override ValueTask<ICheckpointStore> CreateCheckpointStoreAsync() =>
        ValueTask.FromResult<ICheckpointStore>(new SqliteCheckpointStore(_database.Options()));
}

public sealed class SqliteRepositoryConformance : RepositoryConformance, IAsyncLifetime
{
    private TempDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TempDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    protected override ValueTask<(IEventStore Events, ISnapshotStore Snapshots)> CreateStoresAsync(EventTypeRegistry registry, TimeProvider timeProvider) =>
        ValueTask.FromResult<(IEventStore, ISnapshotStore)>((_database.Own(new SqliteEventStore(_database.Options(), registry, timeProvider)), new SqliteSnapshotStore(_database.Options())));
}

public sealed class SqliteProjectionConformance : ProjectionConformance, IAsyncLifetime
{
    private TempDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TempDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    protected override ValueTask<(IEventStore Events, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry, IReadOnlyList<IProjection> inlineProjections)
    {
        var events = _database.Own(new SqliteEventStore(_database.Options(), registry) { InlineProjections = inlineProjections });
        return ValueTask.FromResult<(IEventStore, IProjectionStore)>((events, new SqliteProjectionStore(_database.Options(), TestData.NewRegistry())));
    }
}

public sealed class SqliteStressConformance : StressConformance, IAsyncLifetime
{
    private TempDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TempDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    protected override ValueTask<(IEventStore Events, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry)
    {
        var events = _database.Own(new SqliteEventStore(_database.Options(), registry));
        return ValueTask.FromResult<(IEventStore, IProjectionStore)>((events, new SqliteProjectionStore(_database.Options(), TestData.NewRegistry())));
    }
}

public sealed class SqliteObservabilityConformance : ObservabilityConformance, IAsyncLifetime
{
    private TempDatabase _database = null!;

    protected override string DbSystemName => "sqlite";

    protected override string StoreSourceName => SqliteDiagnostics.SourceName;

    public async ValueTask InitializeAsync() => _database = await TempDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    protected override ValueTask<(IEventStore Events, ISnapshotStore Snapshots, IProjectionStore Projections)> CreateBackendAsync(EventTypeRegistry registry) =>
        ValueTask.FromResult<(IEventStore, ISnapshotStore, IProjectionStore)>((_database.Own(new SqliteEventStore(_database.Options(), registry)), new SqliteSnapshotStore(_database.Options()), new SqliteProjectionStore(_database.Options(), TestData.NewRegistry())));
}

public sealed class SqliteTypedProjectionConformance : TypedProjectionConformance<SqliteProjectionContext>, IAsyncLifetime
{
    private TempDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TempDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    protected override ValueTask<IServiceProvider> CreateServicesAsync(Action<EventSourcingBuilder> configure) =>
        ValueTask.FromResult<IServiceProvider>(new ServiceCollection().AddEventSourcing(es => configure(es.UseSqlite(o => o.FilePath = _database.FilePath))).Services.BuildServiceProvider());
}

public sealed class SqliteDocumentConformance : DocumentConformance, IAsyncLifetime
{
    private TempDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TempDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    protected override ValueTask<IServiceProvider> CreateServicesAsync(Action<EventSourcingBuilder> configure) =>
        ValueTask.FromResult<IServiceProvider>(new ServiceCollection().AddEventSourcing(es => configure(es.UseSqlite(o => o.FilePath = _database.FilePath))).Services.BuildServiceProvider());
}
