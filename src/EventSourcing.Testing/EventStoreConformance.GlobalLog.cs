using Xunit;

namespace EventSourcing.Testing;

public abstract partial class EventStoreConformance
{
    [Fact]
    public async Task The_global_log_orders_events_across_streams_totally_and_by_version()
    {
        var store = await StoreAsync();
        var head = await HeadAsync(store);
        var a = TestData.NewStream("a");
        var b = TestData.NewStream("b");
        await store.AppendAsync(a, ExpectedVersion.NoStream, TestData.Increments(2), Ct);
        await store.AppendAsync(b, ExpectedVersion.NoStream, TestData.Increments(3), Ct);
        await VisibleAsync(store, await store.AppendAsync(a, ExpectedVersion.Exactly(2), TestData.Increments(1, 3), Ct));

        var mine = (await ReadAllAsync(store, head)).Where(e => e.StreamId == a || e.StreamId == b).ToList();

        Assert.Equal(
            [(a, 1L), (a, 2L), (b, 1L), (b, 2L), (b, 3L), (a, 3L)],
            mine.Select(e => (e.StreamId, e.StreamVersion)));
        for (var i = 1; i < mine.Count; i++)
        {
            Assert.True(mine[i - 1].Position < mine[i].Position);
        }
    }

    [Fact]
    public async Task Reading_the_global_log_after_a_position_returns_only_later_events_in_pages()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var head = await HeadAsync(store);
        await VisibleAsync(store, await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(25), Ct));

        var collected = new List<EventEnvelope>();
        var position = head;
        while (true)
        {
            var page = await ReadAllAsync(store, position, 7);
            Assert.True(page.Count <= 7);
            if (page.Count == 0)
            {
                break;
            }

            Assert.All(page, e => Assert.True(e.Position > position));
            collected.AddRange(page);
            position = page[^1].Position;
        }

        var mine = collected.Where(e => e.StreamId == stream).ToList();
        Assert.Equal(Enumerable.Range(1, 25).Select(v => (long)v), mine.Select(e => e.StreamVersion));
        Assert.Equal(collected.Count, collected.Select(e => e.Position).Distinct().Count());
    }

    [Fact]
    public async Task Append_results_report_the_position_readers_see()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var head = await HeadAsync(store);
        var result = await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);
        await VisibleAsync(store, result);

        var all = (await ReadAllAsync(store, head)).Where(e => e.StreamId == stream).ToList();
        Assert.Equal(result.Position, all[^1].Position);
        Assert.Empty((await ReadAllAsync(store, result.Position)).Where(e => e.StreamId == stream));
    }

    [Fact]
    public async Task Concurrent_writers_on_many_streams_appear_once_each_in_the_global_log()
    {
        var store = await StoreAsync();
        var head = await HeadAsync(store);
        var streams = Enumerable.Range(0, 8).Select(i => TestData.NewStream($"g{i}")).ToArray();
        var lasts = await Task.WhenAll(streams.Select(s => Task.Run(async () =>
        {
            AppendResult? last = null;
            for (var i = 0; i < 10; i++)
            {
                last = await store.AppendAsync(s, ExpectedVersion.Exactly(i * 2), TestData.Increments(2), Ct);
            }

            return last!;
        }, Ct)));
        foreach (var last in lasts)
        {
            await VisibleAsync(store, last);
        }

        var mine = (await ReadAllAsync(store, head)).Where(e => streams.Contains(e.StreamId)).ToList();
        Assert.Equal(8 * 20, mine.Count);
        Assert.Equal(mine.Count, mine.Select(e => e.EventId).Distinct().Count());
        foreach (var group in mine.GroupBy(e => e.StreamId))
        {
            Assert.Equal(Enumerable.Range(1, 20).Select(v => (long)v), group.Select(e => e.StreamVersion));
        }
    }

    [Fact]
    public async Task The_global_log_can_be_read_by_event_type_including_events_stored_under_old_names()
    {
        var store = await StoreAsync();
        var head = await HeadAsync(store);
        var stream = TestData.NewStream();
        await VisibleAsync(store, await store.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new Noted("a")), new EventData(new Incremented(1)), new EventData(new LegacyIncremented(2)), new EventData(new Noted("b")), new EventData(new Incremented(3))], Ct));

        var increments = new List<EventEnvelope>();
        await foreach (var e in store.ReadAllAsync(head, int.MaxValue, ["incremented"], Ct))
        {
            increments.Add(e);
        }

        var mine = increments.Where(e => e.StreamId == stream).ToList();
        Assert.Equal([2L, 3L, 5L], mine.Select(e => e.StreamVersion));
        Assert.Equal([1, 2, 3], mine.Select(e => ((Incremented)e.Event).By));
        Assert.All(increments, e => Assert.Equal("incremented", e.EventType));

        var firstTwo = new List<EventEnvelope>();
        await foreach (var e in store.ReadAllAsync(head, 2, ["noted"], Ct))
        {
            firstTwo.Add(e);
        }

        Assert.Equal(2, firstTwo.Count);
        Assert.All(firstTwo, e => Assert.IsType<Noted>(e.Event));
        var none = new List<EventEnvelope>();
        await foreach (var e in store.ReadAllAsync(head, 10, [], Ct))
        {
            none.Add(e);
        }

        Assert.Empty(none);
    }
}
