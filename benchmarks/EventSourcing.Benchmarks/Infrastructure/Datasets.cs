using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Systems;
using EventSourcing.InMemory;

namespace EventSourcing.Benchmarks.Infrastructure;

/// <summary>
/// The read data sets, identical in every system: the global log (accounts × events) and single
/// long streams, with the snapshot a policy would have taken. Seeded outside any measurement: raw with
/// one binary COPY, ours through its public API in 1,000-event appends, Marten through its own
/// sessions, 1,000 events per SaveChanges (a Quick-mode store on the same schema would disagree with
/// the default store about Marten's append function, so the default store seeds).
/// </summary>
public static class Datasets
{
    /// <summary>The id of account number <paramref name="i"/> in the global log.</summary>
    /// <param name="i">The account number.</param>
    /// <returns>The stream id.</returns>
    public static string LogAccount(int i) => "acct-" + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Seeds the global log in the log schema of every Postgres system (nothing else is written there).</summary>
    /// <param name="marten">Whether Marten needs it too.</param>
    /// <returns>A task.</returns>
    public static async Task EnsureLogAsync(bool marten = true)
    {
        var accounts = BenchSettings.GlobalLogAccounts;
        var perAccount = BenchSettings.GlobalLogEvents / accounts;
        var name = $"log-{accounts}x{perAccount}";

        var ours = await Fixture.OursLogAsync();
        await Seeds.OnceAsync(Databases.OursDataSource, name, async () =>
        {
            for (var a = 0; a < accounts; a++)
            {
                await OursSystem.SeedStreamAsync(ours.Store, LogAccount(a), perAccount);
            }
        });

        var raw = await Fixture.RawLogAsync();
        await Seeds.OnceAsync(Databases.RawDataSource, name, () => raw.CopyRowsAsync(
            Enumerable.Range(0, accounts).SelectMany(a => Enumerable.Range(1, perAccount).Select(v => (LogAccount(a), (long)v, EventFactory.Create(LogAccount(a), v))))));

        if (marten)
        {
            var seeder = await Fixture.MartenLogAsync();
            await Seeds.OnceAsync(Databases.MartenDataSource, name, async () =>
            {
                for (var a = 0; a < accounts; a++)
                {
                    await SeedMartenStreamAsync(seeder, LogAccount(a), perAccount);
                }
            });
        }
    }

    /// <summary>Fails a setup whose global log does not hold exactly the seeded events.</summary>
    /// <param name="count">The events a full read returned.</param>
    /// <exception cref="InvalidOperationException">The count is not <see cref="BenchSettings.GlobalLogEvents"/>.</exception>
    public static void CheckLogCount(long count)
    {
        if (count != BenchSettings.GlobalLogEvents)
        {
            throw new InvalidOperationException($"The global log holds {count} events, not the {BenchSettings.GlobalLogEvents} seeded: another data set leaked into its schema.");
        }
    }

    /// <summary>
    /// Seeds many small streams (1,000 × 100 events; 20 × 50 in smoke mode) into the read schema of ours,
    /// raw and Marten, so that PostgreSQL's statistics see what a real store holds: a stream id that
    /// selects a small part of the events table. With only the benchmark's two 10,000-event streams there,
    /// "stream_id = $1" selects half the table and the planner takes sequential scans: measured, it made
    /// Marten's FetchLatest read every event of both streams (19.7 ms at the head, EXPLAIN ANALYZE).
    /// </summary>
    /// <returns>A task.</returns>
    public static async Task EnsureReadFillerAsync()
    {
        var streams = BenchSettings.IsSmoke ? 20 : 1_000;
        var length = BenchSettings.IsSmoke ? 50 : 100;
        var name = $"filler-{streams}x{length}";
        static string Id(int i) => "filler-" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

        var ours = await Fixture.OursReadAsync();
        await Seeds.OnceAsync(Databases.OursDataSource, name, async () =>
        {
            for (var i = 0; i < streams; i++)
            {
                await OursSystem.SeedStreamAsync(ours.Store, Id(i), length);
            }
        });

        var raw = await Fixture.RawReadAsync();
        await Seeds.OnceAsync(Databases.RawDataSource, name, () => raw.CopyRowsAsync(
            Enumerable.Range(0, streams).SelectMany(i => Enumerable.Range(1, length).Select(v => (Id(i), (long)v, EventFactory.Create(Id(i), v))))));

        var marten = await Fixture.MartenReadAsync();
        await Seeds.OnceAsync(Databases.MartenDataSource, name, async () =>
        {
            for (var i = 0; i < streams; i++)
            {
                await SeedMartenStreamAsync(marten, Id(i), length);
            }
        });
    }

    /// <summary>Seeds one stream (and optionally its snapshot) in the read schema of ours, raw and Marten.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="length">Its events.</param>
    /// <param name="snapshotAt">The snapshot's version, or 0 for none.</param>
    /// <param name="rawAndMarten">False to seed only our store (the load-vs-length curve).</param>
    /// <returns>A task.</returns>
    public static async Task EnsureStreamAsync(string streamId, int length, long snapshotAt, bool rawAndMarten = true)
    {
        var name = $"stream-{streamId}-{length}-{snapshotAt}";
        var ours = await Fixture.OursReadAsync();
        await Seeds.OnceAsync(Databases.OursDataSource, name, async () =>
        {
            await OursSystem.SeedStreamAsync(ours.Store, streamId, length);
            if (snapshotAt > 0)
            {
                await OursSystem.SeedSnapshotAsync(ours.Store, ours.Snapshots, Fixture.Registry, streamId, snapshotAt);
            }
        });

        if (!rawAndMarten)
        {
            return;
        }

        var raw = await Fixture.RawReadAsync();
        await Seeds.OnceAsync(Databases.RawDataSource, name, async () =>
        {
            await raw.CopyRowsAsync(Enumerable.Range(1, length).Select(v => (streamId, (long)v, EventFactory.Create(streamId, v))));
            if (snapshotAt > 0)
            {
                await raw.SaveSnapshotAsync(streamId, snapshotAt, StateAt(streamId, snapshotAt));
            }
        });

        var seeder = await Fixture.MartenReadAsync();
        await Seeds.OnceAsync(Databases.MartenDataSource, name, async () =>
        {
            await SeedMartenStreamAsync(seeder, streamId, length);
            if (snapshotAt > 0)
            {
                await seeder.SaveSnapshotAsync(streamId, snapshotAt);
            }
        });
    }

    /// <summary>Seeds a stream (and snapshot) into an in-memory store.</summary>
    /// <param name="store">The store.</param>
    /// <param name="snapshots">The snapshot store.</param>
    /// <param name="streamId">The stream.</param>
    /// <param name="length">Its events.</param>
    /// <param name="snapshotAt">The snapshot's version, or 0 for none.</param>
    /// <returns>A task.</returns>
    public static async Task SeedInMemoryAsync(InMemoryEventStore store, InMemorySnapshotStore snapshots, string streamId, int length, long snapshotAt)
    {
        await OursSystem.SeedStreamAsync(store, streamId, length);
        if (snapshotAt > 0)
        {
            await OursSystem.SeedSnapshotAsync(store, snapshots, Fixture.Registry, streamId, snapshotAt);
        }
    }

    /// <summary>The state after the first <paramref name="version"/> generated events of a stream.</summary>
    /// <param name="streamId">The stream.</param>
    /// <param name="version">The version.</param>
    /// <returns>The state.</returns>
    public static AccountState StateAt(string streamId, long version)
    {
        var account = new Account();
        for (var v = 1L; v <= version; v++)
        {
            account.ReplayRaw(EventFactory.Create(streamId, v), v);
        }

        return new AccountState(account.Id ?? streamId, account.Balance, account.Transactions);
    }

    internal static async Task SeedMartenStreamAsync(MartenSystem marten, string streamId, int length)
    {
        for (var first = 1; first <= length; first += BenchSettings.BatchSize)
        {
            var count = Math.Min(BenchSettings.BatchSize, length - first + 1);
            var batch = new object[count];
            for (var i = 0; i < count; i++)
            {
                batch[i] = EventFactory.Create(streamId, first + i);
            }

            if (first == 1)
            {
                await marten.StartStreamAsync(streamId, batch);
            }
            else
            {
                await marten.AppendAsync(streamId, batch);
            }
        }
    }
}
