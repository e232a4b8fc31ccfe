using System.Text.Json;
using EventSourcing.Aggregates;
using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Postgres;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;

namespace EventSourcing.Benchmarks.Systems;

/// <summary>Our PostgreSQL store on one schema of its database, used through the public API only.</summary>
public sealed class OursSystem
{
    private OursSystem(PostgresEventStore store, PostgresSnapshotStore snapshots, EventTypeRegistry registry, PostgresOptions options)
    {
        Options = options;
        Registry = registry;
        Store = store;
        Snapshots = snapshots;
        Repository = new AggregateRepository<Account>(store, registry);
        SnapshotRepository = new AggregateRepository<Account>(store, registry, snapshots);
    }

    /// <summary>The schema and timeout settings.</summary>
    public PostgresOptions Options { get; }

    /// <summary>The event types.</summary>
    public EventTypeRegistry Registry { get; }

    /// <summary>The event store.</summary>
    public PostgresEventStore Store { get; }

    /// <summary>The snapshot store.</summary>
    public PostgresSnapshotStore Snapshots { get; }

    /// <summary>Loads by replaying every event.</summary>
    public AggregateRepository<Account> Repository { get; }

    /// <summary>Loads from the newest snapshot plus the tail.</summary>
    public AggregateRepository<Account> SnapshotRepository { get; }

    /// <summary>Creates the store on a schema, applying the schema first.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="registry">The event types.</param>
    /// <returns>The system.</returns>
    public static async Task<OursSystem> CreateAsync(string schema, EventTypeRegistry registry)
    {
        var options = new PostgresOptions { Schema = schema, CommandTimeout = TimeSpan.FromMinutes(5) };
        await new PostgresSchemaInitializer(Databases.OursDataSource, options).ApplyAsync();
        await using (var command = Databases.OursDataSource.CreateCommand(BalanceFolder.Ddl))
        {
            await command.ExecuteNonQueryAsync();
        }

        return new OursSystem(
            new PostgresEventStore(Databases.OursDataSource, registry, options),
            new PostgresSnapshotStore(Databases.OursDataSource, options),
            registry,
            options);
    }

    /// <summary>Appends a generated stream in calls of 1,000 events (seeding through the public API).</summary>
    /// <param name="store">The store.</param>
    /// <param name="streamId">The stream.</param>
    /// <param name="length">The number of events.</param>
    /// <returns>A task.</returns>
    public static async Task SeedStreamAsync(IEventStore store, string streamId, int length)
    {
        for (var first = 1; first <= length; first += BenchSettings.BatchSize)
        {
            var count = Math.Min(BenchSettings.BatchSize, length - first + 1);
            var batch = new EventData[count];
            for (var i = 0; i < count; i++)
            {
                batch[i] = new EventData(EventFactory.Create(streamId, first + i));
            }

            await store.AppendAsync(StreamId.From(streamId), ExpectedVersion.Exactly(first - 1), batch);
        }
    }

    /// <summary>Writes the snapshot a policy would have taken at <paramref name="version"/> (seeding).</summary>
    /// <param name="store">The event store.</param>
    /// <param name="snapshots">The snapshot store.</param>
    /// <param name="registry">The registry.</param>
    /// <param name="streamId">The stream.</param>
    /// <param name="version">The version.</param>
    /// <returns>A task.</returns>
    public static async Task SeedSnapshotAsync(IEventStore store, ISnapshotStore snapshots, EventTypeRegistry registry, string streamId, long version)
    {
        var account = await new AggregateRepository<Account>(store, registry).LoadAtVersionAsync(StreamId.From(streamId), version);
        var state = new AccountState(account.Id ?? streamId, account.Balance, account.Transactions);
        await snapshots.SaveAsync(new Snapshot(StreamId.From(streamId), version, "Account", 1, JsonSerializer.SerializeToUtf8Bytes(state, BenchJsonContext.Default.AccountState), EventFactory.Epoch));
    }

    /// <summary>
    /// The Core projection daemon over this store with the hand-written balance projection, on the
    /// PostgreSQL projection store, with the default <see cref="ProjectionOptions"/>.
    /// </summary>
    /// <returns>The daemon (not started: rebuilds run on demand).</returns>
    public ProjectionDaemon CreateBalanceDaemon() =>
        new(Store, new PostgresProjectionStore(Databases.OursDataSource, Registry, Options), [new BalanceProjection()]);

    /// <summary>Rebuilds the balance read model from the global log: ReadAllAsync from the start, fold, batched upsert.</summary>
    /// <param name="store">The store.</param>
    /// <param name="folder">The fold and writer.</param>
    /// <returns>The events folded.</returns>
    public static async Task<long> RebuildAsync(IEventStore store, BalanceFolder folder)
    {
        await folder.ResetAsync();
        await foreach (var e in store.ReadAllAsync(GlobalPosition.Start))
        {
            await folder.FoldAsync(e.Event);
        }

        await folder.FlushAsync();
        return folder.Events;
    }
}
