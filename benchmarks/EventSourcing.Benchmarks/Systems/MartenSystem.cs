using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;

namespace EventSourcing.Benchmarks.Systems;

/// <summary>
/// Marten as its users run it: default configuration (Rich append mode, its default serializer) or
/// Quick append mode, with string stream keys (the only change from the defaults, so every system
/// stores the same stream ids).
/// </summary>
public sealed class MartenSystem : IAsyncDisposable
{
    /// <summary>Events per page when reading the global log (a keyset page, as Marten's daemon reads).</summary>
    public const int ReadPage = 10_000;

    private MartenSystem(DocumentStore store) => Store = store;

    /// <summary>The document store.</summary>
    public DocumentStore Store { get; }

    /// <summary>Creates a store on its own schema of Marten's database and applies its schema.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="quickAppend">Quick append mode instead of the default (Rich).</param>
    /// <param name="snapshots">
    /// Registers <see cref="MartenAccount"/> as an async snapshot projection, so <c>FetchLatest</c> reads
    /// the stored document plus the events after it (in one batch) instead of aggregating the whole stream.
    /// Only for the read schema: nothing runs the async daemon there, the seeded documents stay as seeded.
    /// </param>
    /// <returns>The system.</returns>
    public static async Task<MartenSystem> CreateAsync(string schema, bool quickAppend, bool snapshots = false)
    {
        var store = DocumentStore.For(options =>
        {
            options.Connection(Databases.ConnectionString(Databases.Marten));
            options.DatabaseSchemaName = schema;
            options.Events.StreamIdentity = StreamIdentity.AsString;
            if (quickAppend)
            {
                options.Events.AppendMode = EventAppendMode.Quick;
            }

            options.Schema.For<MartenAccount>();
            options.Projections.Add<MartenBalanceProjection>(ProjectionLifecycle.Async);
            if (snapshots)
            {
                options.Projections.Snapshot<MartenAccount>(SnapshotLifecycle.Async);
            }
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return new MartenSystem(store);
    }

    /// <summary>Starts a stream with events.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="events">The events.</param>
    /// <returns>A task.</returns>
    public async Task StartStreamAsync(string streamId, params object[] events)
    {
        await using var session = Store.LightweightSession();
        session.Events.StartStream(streamId, events);
        await session.SaveChangesAsync();
    }

    /// <summary>Starts a stream with one event; returns the event's global sequence (the latency run).</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="event">The event.</param>
    /// <returns>The event's sequence number.</returns>
    public async Task<long> StartStreamReturningSequenceAsync(string streamId, object @event)
    {
        await using var session = Store.LightweightSession();
        var action = session.Events.StartStream(streamId, @event);
        await session.SaveChangesAsync();
        return action.Events[0].Sequence;
    }

    /// <summary>Appends to an existing stream with no version check (seeding).</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="events">The events.</param>
    /// <returns>A task.</returns>
    public async Task AppendAsync(string streamId, params object[] events)
    {
        await using var session = Store.LightweightSession();
        session.Events.Append(streamId, events);
        await session.SaveChangesAsync();
    }

    /// <summary>The stream's current version (0 when it does not exist).</summary>
    /// <param name="streamId">The stream.</param>
    /// <returns>The version.</returns>
    public async Task<long> GetVersionAsync(string streamId)
    {
        await using var session = Store.QuerySession();
        var state = await session.Events.FetchStreamStateAsync(streamId);
        return state?.Version ?? 0;
    }

    /// <summary>Appends one event expecting the stream at <paramref name="version"/> - 1.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="version">The new event's version.</param>
    /// <param name="event">The event.</param>
    /// <returns>True when written; false on a concurrency conflict.</returns>
    public async Task<bool> TryAppendAsync(string streamId, long version, object @event)
    {
        await using var session = Store.LightweightSession();
        if (version == 1)
        {
            session.Events.StartStream(streamId, @event);
        }
        else
        {
            // Marten's expected version is the stream's version after the append.
            session.Events.Append(streamId, version, @event);
        }

        try
        {
            await session.SaveChangesAsync();
            return true;
        }
        catch (Exception ex) when (ex is JasperFx.ConcurrencyException or JasperFx.Events.EventStreamUnexpectedMaxEventIdException or JasperFx.Events.ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException)
        {
            return false;
        }
    }

    /// <summary>Live aggregation of the whole stream.</summary>
    /// <param name="streamId">The stream.</param>
    /// <returns>The aggregate.</returns>
    public async Task<MartenAccount?> LoadAsync(string streamId)
    {
        await using var session = Store.QuerySession();
        return await session.Events.AggregateStreamAsync<MartenAccount>(streamId);
    }

    /// <summary>Marten's own snapshot load: <c>FetchLatest</c> (the stored document plus the events after it).</summary>
    /// <param name="streamId">The stream.</param>
    /// <returns>The aggregate.</returns>
    public async Task<MartenAccount?> FetchLatestAsync(string streamId)
    {
        // FetchLatest lives on the document session's event operations (not on query sessions).
        await using var session = Store.LightweightSession();
        return await session.Events.FetchLatest<MartenAccount>(streamId);
    }

    /// <summary>Aggregates up to a version and stores the result as the snapshot document (seeding).</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="version">The version.</param>
    /// <returns>A task.</returns>
    public async Task SaveSnapshotAsync(string streamId, long version)
    {
        await using var session = Store.LightweightSession();
        var state = await session.Events.AggregateStreamAsync<MartenAccount>(streamId, version: version)
            ?? throw new InvalidOperationException($"No stream {streamId}.");
        session.Store(state);
        await session.SaveChangesAsync();
    }

    /// <summary>Reads the whole global log in sequence order, page by page.</summary>
    /// <returns>The number of events read.</returns>
    public async Task<long> ReadAllAsync()
    {
        long count = 0;
        long last = 0;
        await using var session = Store.QuerySession();
        while (true)
        {
            var page = await session.Events.QueryAllRawEvents()
                .Where(e => e.Sequence > last)
                .OrderBy(e => e.Sequence)
                .Take(ReadPage)
                .ToListAsync();
            if (page.Count == 0)
            {
                return count;
            }

            count += page.Count;
            last = page[^1].Sequence;
        }
    }

    /// <summary>Reads the first <paramref name="limit"/> events of the global log in sequence order, pages as <see cref="ReadAllAsync()"/> (the scaling curve).</summary>
    /// <param name="limit">The most events to read.</param>
    /// <returns>The number of events read.</returns>
    public async Task<long> ReadAllAsync(long limit)
    {
        long count = 0;
        long last = 0;
        await using var session = Store.QuerySession();
        while (count < limit)
        {
            var page = await session.Events.QueryAllRawEvents()
                .Where(e => e.Sequence > last)
                .OrderBy(e => e.Sequence)
                .Take((int)Math.Min(ReadPage, limit - count))
                .ToListAsync();
            if (page.Count == 0)
            {
                break;
            }

            count += page.Count;
            last = page[^1].Sequence;
        }

        return count;
    }

    /// <summary>Rebuilds the balance projection with Marten's projection daemon.</summary>
    /// <returns>A task.</returns>
    public async Task RebuildAsync()
    {
        using var daemon = await Store.BuildProjectionDaemonAsync();
        await daemon.RebuildProjectionAsync<MartenBalanceProjection>(TimeSpan.FromMinutes(10), CancellationToken.None);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Store.Dispose();
        return ValueTask.CompletedTask;
    }
}
