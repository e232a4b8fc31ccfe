using System.Collections.Concurrent;
using EventSourcing.Testing;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

public sealed class ConcurrencyTests(PostgresFixture fixture)
{
    private const int Writers = 8;
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task Eight_connections_racing_for_each_version_get_exactly_one_winner_and_lose_nothing()
    {
        const int Rounds = 25;
        var options = await fixture.SchemaForAsync(GetType());
        var stream = TestData.NewStream("race");

        // Eight data sources: eight separate physical connections, as eight application instances would have.
        var dataSources = Enumerable.Range(0, Writers).Select(_ => NpgsqlDataSource.Create(fixture.ConnectionString)).ToArray();
        try
        {
            var stores = dataSources.Select(ds => new PostgresEventStore(ds, TestSupport.NewRegistry(), options)).ToArray();
            var backends = await Task.WhenAll(dataSources.Select(async ds => (int)(await ds.ScalarAsync("select pg_backend_pid()"))!));
            Assert.Equal(Writers, backends.Distinct().Count());

            var winners = new ConcurrentBag<(long Version, Guid Id)>();
            for (var round = 0; round < Rounds; round++)
            {
                var expected = (long)round;
                using var barrier = new Barrier(Writers);
                var outcomes = await Task.WhenAll(stores.Select((store, w) => Task.Run(async () =>
                {
                    var e = new EventData(new Noted($"round {expected} writer {w}"));
                    barrier.SignalAndWait(Ct);
                    try
                    {
                        var result = await store.AppendAsync(stream, ExpectedVersion.Exactly(expected), [e], Ct);
                        winners.Add((result.NextExpectedVersion, e.EventId));
                        return (Won: true, Actual: result.NextExpectedVersion);
                    }
                    catch (WrongExpectedVersionException conflict)
                    {
                        Assert.Equal(stream, conflict.StreamId);
                        Assert.Equal(ExpectedVersion.Exactly(expected), conflict.Expected);
                        return (Won: false, Actual: conflict.ActualVersion!.Value);
                    }
                }, Ct)));

                Assert.Equal(1, outcomes.Count(o => o.Won));
                Assert.All(outcomes, o => Assert.Equal(expected + 1, o.Actual));
            }

            var read = await stores[0].ReadStreamListAsync(stream);
            Assert.Equal(Enumerable.Range(1, Rounds).Select(v => (long)v), read.Select(e => e.StreamVersion));
            Assert.Equal(winners.OrderBy(w => w.Version).Select(w => w.Id), read.Select(e => e.EventId));
            Assert.Equal(Rounds, await stores[1].GetStreamVersionAsync(stream, Ct));
        }
        finally
        {
            foreach (var ds in dataSources)
            {
                await ds.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Eight_connections_appending_with_retries_keep_the_stream_contiguous()
    {
        const int AppendsPerWriter = 20;
        var options = await fixture.SchemaForAsync(GetType());
        var stream = TestData.NewStream("retry");
        var dataSources = Enumerable.Range(0, Writers).Select(_ => NpgsqlDataSource.Create(fixture.ConnectionString)).ToArray();
        try
        {
            var acknowledged = new ConcurrentDictionary<Guid, long>();
            await Task.WhenAll(dataSources.Select((ds, w) => Task.Run(async () =>
            {
                var store = new PostgresEventStore(ds, TestSupport.NewRegistry(), options);
                for (var done = 0; done < AppendsPerWriter;)
                {
                    var current = await store.GetStreamVersionAsync(stream, Ct);
                    var batch = new[] { new EventData(new Incremented(w)), new EventData(new Noted($"{w}/{done}")) };
                    try
                    {
                        var result = await store.AppendAsync(stream, ExpectedVersion.Exactly(current), batch, Ct);
                        Assert.Equal(current + 2, result.NextExpectedVersion);
                        acknowledged[batch[0].EventId] = current + 1;
                        acknowledged[batch[1].EventId] = current + 2;
                        done++;
                    }
                    catch (WrongExpectedVersionException conflict)
                    {
                        Assert.True(conflict.ActualVersion > current);
                    }
                }
            }, Ct)));

            var read = await new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options).ReadStreamListAsync(stream);
            Assert.Equal(Writers * AppendsPerWriter * 2, read.Count);
            Assert.Equal(Enumerable.Range(1, read.Count).Select(v => (long)v), read.Select(e => e.StreamVersion));
            Assert.Equal(acknowledged.Count, read.Count);
            Assert.All(read, e => Assert.Equal(acknowledged[e.EventId], e.StreamVersion));

            // Batches stay whole: an Incremented is always followed by its writer's Noted.
            for (var i = 0; i < read.Count; i += 2)
            {
                var by = ((Incremented)read[i].Event).By;
                Assert.StartsWith($"{by}/", ((Noted)read[i + 1].Event).Text, StringComparison.Ordinal);
            }

            Assert.Equal(0L, await fixture.DataSource.ScalarAsync($"select count(*) from \"{options.Schema}\".events e where stream_id = $1 and version > (select version from \"{options.Schema}\".streams s where s.stream_id = $1)", stream.Value));
        }
        finally
        {
            foreach (var ds in dataSources)
            {
                await ds.DisposeAsync();
            }
        }
    }
}
