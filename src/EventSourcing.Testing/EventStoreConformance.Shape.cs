using System.Text.Json;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>
/// Both stores are PostgreSQL-shaped: what cannot be stored exactly is refused before anything is
/// written, and every read hands out fresh objects.
/// </summary>
public abstract partial class EventStoreConformance
{
    public static TheoryData<string> LoneSurrogateStrings => new() { "a\uD800b", "\uDC00", "end\uD83D", "\uDE00start", "x\uDC00\uD800y" };

    [Theory]
    [MemberData(nameof(LoneSurrogateStrings))]
    public void Stream_ids_with_a_lone_surrogate_are_refused(string text)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new StreamId("s-" + text));
        Assert.Contains("surrogate", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(LoneSurrogateStrings))]
    public async Task Event_payloads_with_a_lone_surrogate_are_refused_and_nothing_is_written(string text)
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var head = await HeadAsync(store);
        var payloads = new object[]
        {
            new Noted(text),
            new Tagged(["ok", text], []),
            new Tagged([], new Dictionary<string, string> { [text] = "value" }),
            new Tagged([], new Dictionary<string, string> { ["key"] = text }),
        };

        foreach (var payload in payloads)
        {
            var batch = new[] { new EventData(new Incremented(1)), new EventData(payload) };
            var ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(stream, ExpectedVersion.Any, batch, Ct).AsTask());
            Assert.Contains("surrogate", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
        Assert.Equal(head, await HeadAsync(store));
    }

    [Theory]
    [MemberData(nameof(LoneSurrogateStrings))]
    public async Task Metadata_with_a_lone_surrogate_is_refused_and_nothing_is_written(string text)
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var metadatas = new[]
        {
            new EventMetadata { CorrelationId = text },
            new EventMetadata { CausationId = text },
            new EventMetadata { Headers = new Dictionary<string, string> { [text] = "v" } },
            new EventMetadata { Headers = new Dictionary<string, string> { ["user"] = text } },
        };

        foreach (var metadata in metadatas)
        {
            var batch = new[] { new EventData(new Incremented(1)), new EventData(new Incremented(2), metadata) };
            var ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => store.AppendAsync(stream, ExpectedVersion.Any, batch, Ct).AsTask());
            Assert.Contains("surrogate", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task Replacement_characters_and_surrogate_pairs_are_stored_exactly()
    {
        var store = await StoreAsync();
        const string Text = "\uFFFD \U0001F600 \uD83D\uDC4D\uFFFD";
        var stream = new StreamId("s-" + Text);
        var metadata = new EventMetadata { CorrelationId = Text, Headers = new Dictionary<string, string> { [Text] = Text } };
        await store.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new Noted(Text), metadata), new EventData(new Tagged([Text], new() { [Text] = Text }))], Ct);

        var read = await ReadAsync(store, stream);

        Assert.Equal(stream, read[0].StreamId);
        Assert.Equal(new Noted(Text), read[0].Event);
        Assert.Equal(metadata, read[0].Metadata);
        var tagged = (Tagged)read[1].Event;
        Assert.Equal([Text], tagged.Tags);
        Assert.Equal(Text, tagged.Labels[Text]);
    }

    [Fact]
    public async Task An_event_whose_getter_throws_is_refused_and_nothing_is_written()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();

        await Assert.ThrowsAsync<GetterFailedException>(() => store.AppendAsync(stream, ExpectedVersion.Any, [new EventData(new Incremented(1)), new EventData(new Exploding())], Ct).AsTask());

        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task A_self_referencing_event_is_refused_and_nothing_is_written()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var node = new Node { Name = "loop" };
        node.Next = node;

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => store.AppendAsync(stream, ExpectedVersion.Any, [new EventData(new Incremented(1)), new EventData(node)], Ct).AsTask());

        Assert.True(ex is JsonException or InvalidOperationException, ex.ToString());
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task An_event_nested_deeper_than_the_serializer_allows_is_refused_and_nothing_is_written()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var root = new Node { Name = "0" };
        var tip = root;
        for (var i = 1; i <= 200; i++)
        {
            tip.Next = new Node { Name = i.ToString() };
            tip = tip.Next;
        }

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => store.AppendAsync(stream, ExpectedVersion.Any, [new EventData(new Incremented(1)), new EventData(root)], Ct).AsTask());

        Assert.True(ex is JsonException or InvalidOperationException, ex.ToString());
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task Every_read_hands_out_fresh_objects_so_history_never_changes()
    {
        var store = await StoreAsync();
        var stream = TestData.NewStream();
        var head = await HeadAsync(store);
        var headers = new Dictionary<string, string> { ["user"] = "alice" };
        var appended = new Tagged(["a"], new() { ["k"] = "v" });
        var data = new EventData(appended, new EventMetadata { Headers = headers });
        await VisibleAsync(store, await store.AppendAsync(stream, ExpectedVersion.NoStream, [data], Ct));

        // The appender changes its objects after the append ...
        appended.Tags.Add("changed by the appender");
        appended.Labels["k"] = "changed";
        headers["user"] = "mallory";

        // ... and a reader changes what it read.
        var first = (Tagged)(await ReadAsync(store, stream))[0].Event;
        first.Tags.Add("changed by a reader");
        first.Labels.Clear();
        var byId = (Tagged)(await store.ReadEventAsync(stream, data.EventId, Ct))!.Event;
        byId.Tags.Clear();

        foreach (var read in new[] { (await ReadAsync(store, stream))[0], (await ReadAllAsync(store, head)).Single(e => e.StreamId == stream), (await store.ReadEventAsync(stream, data.EventId, Ct))! })
        {
            var tagged = (Tagged)read.Event;
            Assert.Equal(["a"], tagged.Tags);
            Assert.Equal("v", Assert.Single(tagged.Labels).Value);
            Assert.Equal("alice", read.Metadata.Headers["user"]);
        }
    }
}
