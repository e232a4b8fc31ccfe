using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Systems;
using EventSourcing.Postgres;

namespace EventSourcing.Benchmarks.Infrastructure;

internal static class TempSweep
{
    public static IEnumerable<(string Name, Alternating.Case[] Cases)> Scenarios()
    {
        foreach (var size in new[] { 1000, 300, 100, 30 })
        {
            var ids = new StreamIds();
            var events = Enumerable.Range(1, size).Select(v => EventFactory.Create("acct-batch", v)).ToArray();
            OursSystem ours = null!;
            RawSystem raw = null!;
            PostgresEventStore stmt = null!;
            PostgresEventStore copy = null!;
            EventData[] Wrap() => events.Select(e => new EventData(e)).ToArray();
            yield return ($"Sweep{size}", [
                new("Statement", async () => { ours = await Fixture.OursWriteAsync(); stmt = new PostgresEventStore(Databases.OursDataSource, Fixture.Registry, ours.Options) { CopyThreshold = int.MaxValue }; }, async () => await stmt.AppendAsync(StreamId.From(ids.Next()), ExpectedVersion.NoStream, Wrap()), 1),
                new("Copy", async () => { ours = await Fixture.OursWriteAsync(); copy = new PostgresEventStore(Databases.OursDataSource, Fixture.Registry, ours.Options) { CopyThreshold = 2 }; }, async () => await copy.AppendAsync(StreamId.From(ids.Next()), ExpectedVersion.NoStream, Wrap()), 1),
                new("RawNpgsql", async () => raw = await Fixture.RawWriteAsync(), () => raw.CopyAsync(ids.Next(), 1, events), 1),
            ]);
        }
    }
}
