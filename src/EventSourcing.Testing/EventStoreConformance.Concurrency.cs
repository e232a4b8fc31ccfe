using Xunit;

namespace EventSourcing.Testing;

public abstract partial class EventStoreConformance
{
    [Fact]
    public async Task Eight_writers_on_one_stream_get_exactly_one_winner_per_version()
    {
        const int Writers = 8;
        const int AppendsPerWriter = 15;
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<(Guid Id, long Version)>();
        var conflicts = 0;
        using var start = new ManualResetEventSlim();

        var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            start.Wait(Ct);
            var done = 0;
            while (done < AppendsPerWriter)
            {
                var current = await store.GetStreamVersionAsync(stream, Ct);
                var e = new EventData(new Noted($"w{w}-{done}"));
                try
                {
                    var result = await store.AppendAsync(stream, ExpectedVersion.Exactly(current), [e], Ct);
                    Assert.Equal(current + 1, result.NextExpectedVersion);
                    acknowledged.Add((e.EventId, result.NextExpectedVersion));
                    done++;
                }
                catch (WrongExpectedVersionException ex)
                {
                    Assert.NotEqual(current, ex.ActualVersion);
                    Interlocked.Increment(ref conflicts);
                }
            }
        }, Ct)).ToArray();
        start.Set();
        await Task.WhenAll(tasks);

        var read = await ReadAsync(store, stream);
        Assert.Equal(Writers * AppendsPerWriter, read.Count);
        Assert.Equal(Enumerable.Range(1, read.Count).Select(v => (long)v), read.Select(e => e.StreamVersion));
        Assert.Equal(read.Count, read.Select(e => e.EventId).Distinct().Count());
        foreach (var (id, version) in acknowledged)
        {
            Assert.Equal(id, read[(int)version - 1].EventId);
        }
    }

    [Fact]
    public async Task Concurrent_Any_appends_lose_nothing_and_stay_contiguous()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(3), Ct);
            }
        }, Ct)).ToArray();
        await Task.WhenAll(tasks);

        var read = await ReadAsync(store, stream);
        Assert.Equal(8 * 20 * 3, read.Count);
        Assert.Equal(Enumerable.Range(1, read.Count).Select(v => (long)v), read.Select(e => e.StreamVersion));

        // Each batch stays together: versions 3k+1..3k+3 hold By = 1, 2, 3.
        for (var i = 0; i < read.Count; i++)
        {
            Assert.Equal((i % 3) + 1, ((Incremented)read[i].Event).By);
        }
    }
}
