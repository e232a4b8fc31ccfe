using System.Text;
using EventSourcing.Documents;
using EventSourcing.Projections;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>
/// Views kept as documents (<see cref="View{TDocument}"/>) on a backend's document store: inline and
/// async, single- and multi-stream, written atomically with the append or the checkpoint, read by id
/// and page by page, and rebuilt through a shadow collection while appends go on.
/// </summary>
public abstract class DocumentConformance
{
    /// <summary>
    /// Builds a container: <c>services.AddEventSourcing(es => { configure(es); /* your backend */ })</c>
    /// over an EMPTY store (no events or documents from other tests). The kit starts its hosted services and disposes it.
    /// </summary>
    /// <param name="configure">The kit's event types and projections.</param>
    /// <returns>The container.</returns>
    protected abstract ValueTask<IServiceProvider> CreateServicesAsync(Action<EventSourcingBuilder> configure);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<KitHost> StartAsync(Action<EventSourcingBuilder> configure) =>
        await KitHost.StartAsync(await CreateServicesAsync(KitHost.With(configure)), Ct);

    [Fact]
    public async Task An_inline_view_keeps_one_document_per_stream_up_to_date_when_the_append_returns()
    {
        await using var host = await StartAsync(es => es.AddProjection<Counters>(ProjectionMode.Inline));
        var (a, b) = (TestData.NewStream("a"), TestData.NewStream("b"));

        await host.Events.AppendAsync(a, ExpectedVersion.NoStream, [new EventData(new Incremented(2)), new EventData(new Incremented(3))], Ct);
        await host.Events.AppendAsync(b, ExpectedVersion.NoStream, TestData.Increments(1, 10), Ct);
        await host.Events.AppendAsync(a, ExpectedVersion.Exactly(2), [new EventData(new Incremented(5))], Ct);

        var documentA = await host.Documents.LoadAsync<CounterDocument>(a.Value, Ct);
        var documentB = await host.Documents.LoadAsync<CounterDocument>(b.Value, Ct);
        Assert.Equal((a.Value, 10L, 3), (documentA!.Stream, documentA.Total, documentA.Count));
        Assert.Equal((b.Value, 10L, 1), (documentB!.Stream, documentB.Total, documentB.Count));
        Assert.Null(await host.Documents.LoadAsync<CounterDocument>("nobody", Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await host.Documents.LoadAsync<string>("a", Ct));
    }

    [Fact]
    public async Task An_async_view_writes_its_documents_with_its_checkpoint()
    {
        await using var host = await StartAsync(es => es.AddProjection<Counters>(ProjectionMode.Async));
        var streams = Enumerable.Range(0, 4).Select(i => TestData.NewStream($"s{i}")).ToArray();
        AppendResult last = default!;
        foreach (var stream in streams)
        {
            // 25 events per stream: more than one batch (the kit's batch size is 10), so documents are loaded back and folded on.
            last = await host.Events.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(25), Ct);
        }

        await host.Daemon.WaitForPositionAsync(nameof(Counters), last.Position, Ct);

        foreach (var stream in streams)
        {
            var document = await host.Documents.LoadAsync<CounterDocument>(stream.Value, Ct);
            Assert.Equal((325L, 25), (document!.Total, document.Count));
        }
    }

    [Fact]
    public async Task A_failing_inline_view_after_a_document_write_fails_the_append_and_leaves_no_document()
    {
        await using var host = await StartAsync(es => es.AddProjection<Counters>(ProjectionMode.Inline));
        var stream = TestData.NewStream();

        // The first event's document is written in the append's unit of work before the second one fails.
        await Assert.ThrowsAnyAsync<Exception>(async () => await host.Events.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new Incremented(1)), new EventData(new Incremented(Counters.Poison))], Ct));

        Assert.Equal(0, await host.Events.GetStreamVersionAsync(stream, Ct));
        Assert.Null(await host.Documents.LoadAsync<CounterDocument>(stream.Value, Ct));
    }

    [Fact]
    public async Task A_failing_async_handler_after_a_document_write_leaves_no_document_and_no_checkpoint_move()
    {
        await using var host = await StartAsync(es => es.AddProjection<WritesThenFails>(ProjectionMode.Async));
        var stream = TestData.NewStream();
        var appended = await host.Events.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new Noted("boom"))], Ct);

        var failure = await Assert.ThrowsAsync<ProjectionFailedException>(() => host.Daemon.WaitForPositionAsync(WritesThenFails.ViewName, appended.Position, Ct));

        var projection = host.Services.GetRequiredService<WritesThenFails>();
        Assert.True(projection.Writes >= 2, "the handler wrote a document before failing, on the first try and the retry");
        Assert.Equal(appended.Position, failure.Position);
        Assert.Null(host.Daemon.GetStatus(WritesThenFails.ViewName).Checkpoint);
        Assert.Null(await host.Services.GetRequiredService<IDocumentStore>().LoadAsync(WritesThenFails.ViewName, stream.Value, Ct));
    }

    [Fact]
    public async Task Documents_are_listed_in_id_order_a_page_at_a_time()
    {
        await using var host = await StartAsync(es => es.AddProjection<Counters>(ProjectionMode.Inline));
        var suffix = Guid.NewGuid().ToString("N")[..6];
        string[] ids = [$"b-{suffix}", $"B-{suffix}", $"a-{suffix}", $"é-{suffix}", $"a1-{suffix}"];
        foreach (var id in ids)
        {
            await host.Events.AppendAsync(new StreamId(id), ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        }

        var seen = new List<string>();
        var pages = 0;
        string? after = null;
        do
        {
            var page = await host.Documents.ListAsync<CounterDocument>(after, limit: 2, Ct);
            Assert.True(page.Items.Count <= 2);
            Assert.All(page.Items, item => Assert.Equal(item.Key, item.Value.Stream));
            seen.AddRange(page.Items.Select(i => i.Key));
            after = page.Next;
            pages++;
        }
        while (after is not null);

        Assert.Equal(ids.Order(StringComparer.Ordinal), seen);
        Assert.Equal(3, pages);
        Assert.Empty((await host.Documents.ListAsync<CounterDocument>(seen[^1], 10, Ct)).Items);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await host.Documents.ListAsync<CounterDocument>(limit: 0, cancellationToken: Ct));
    }

    [Fact]
    public async Task A_multi_stream_view_keys_documents_by_a_function_of_the_event_inline_and_async()
    {
        await using var host = await StartAsync(es => es.AddProjection<NotesByText>(ProjectionMode.Async).AddProjection<InlineNotesByText>(ProjectionMode.Inline));
        var (a, b) = (TestData.NewStream("a"), TestData.NewStream("b"));
        var (x, y) = ("x-" + Guid.NewGuid().ToString("N"), "y-" + Guid.NewGuid().ToString("N"));
        await host.Events.AppendAsync(a, ExpectedVersion.NoStream, [new EventData(new Noted(x)), new EventData(new Noted(y))], Ct);
        var last = await host.Events.AppendAsync(b, ExpectedVersion.NoStream, [new EventData(new Noted(x))], Ct);

        await host.Daemon.WaitForPositionAsync(nameof(NotesByText), last.Position, Ct);

        var reader = host.Services.GetRequiredService<IDocumentStore>();
        foreach (var view in new[] { nameof(NotesByText), nameof(InlineNotesByText) })
        {
            var page = await reader.ListAsync(view, null, 10, Ct);
            Assert.Equal([x, y], page.Select(p => p.Key));
        }

        NoteCount[] xs = [(await host.Documents.LoadAsync<NoteCount>(x, Ct))!, (await host.Documents.LoadAsync<InlineNoteCount>(x, Ct))!];
        NoteCount[] ys = [(await host.Documents.LoadAsync<NoteCount>(y, Ct))!, (await host.Documents.LoadAsync<InlineNoteCount>(y, Ct))!];
        Assert.All(xs, d => Assert.Equal($"2: {a.Value} {b.Value}", $"{d.Count}: {string.Join(' ', d.Streams)}"));
        Assert.All(ys, d => Assert.Equal($"1: {a.Value}", $"{d.Count}: {string.Join(' ', d.Streams)}"));
    }

    [Fact]
    public async Task A_view_is_rebuilt_through_a_shadow_and_swapped_in_while_appends_go_on()
    {
        await using var host = await StartAsync(es => es.AddProjection<Counters>(ProjectionMode.Async));
        var streams = Enumerable.Range(0, 3).Select(i => TestData.NewStream($"r{i}")).ToArray();
        AppendResult last = default!;
        foreach (var stream in streams)
        {
            last = await host.Events.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(20), Ct);
        }

        await host.Daemon.WaitForPositionAsync(nameof(Counters), last.Position, Ct);

        // Damage a live document behind the view's back: only a rebuild from the log repairs it.
        var store = host.Services.GetRequiredService<IProjectionStore>();
        var damage = await store.BeginAsync(nameof(Counters), isRebuild: false, Ct);
        await using (damage)
        {
            await damage.Context.Documents!.StoreAsync(nameof(Counters), streams[0].Value, Encoding.UTF8.GetBytes("""{"stream":"wrong","total":-1,"count":-1}"""), Ct);
            await damage.CommitAsync(Ct);
        }

        Assert.Equal(-1, (await host.Documents.LoadAsync<CounterDocument>(streams[0].Value, Ct))!.Total);

        // During the rebuild (after its first batch is committed to the shadow) another append commits,
        // and the live view keeps serving the old documents until the swap.
        var reports = 0;
        long liveDuringRebuild = 0;
        var progress = new SyncProgress<RebuildProgress>(_ =>
        {
            if (Interlocked.Increment(ref reports) == 2)
            {
                Task.Run(async () =>
                {
                    await host.Events.AppendAsync(streams[1], ExpectedVersion.Any, TestData.Increments(5, 100), Ct);
                    liveDuringRebuild = (await host.Documents.LoadAsync<CounterDocument>(streams[0].Value, Ct))!.Total;
                }).GetAwaiter().GetResult();
            }
        });
        var done = await host.Daemon.RebuildAsync(nameof(Counters), progress, Ct);
        var end = await host.Events.AppendAsync(streams[2], ExpectedVersion.Any, TestData.Increments(1, 1000), Ct);
        await host.Daemon.WaitForPositionAsync(nameof(Counters), end.Position, Ct);

        Assert.True(reports >= 2, $"{reports} progress reports");
        Assert.Equal(-1, liveDuringRebuild);
        Assert.True(done >= 60);
        Assert.Equal((210L, 20), Summary(await host.Documents.LoadAsync<CounterDocument>(streams[0].Value, Ct)));
        Assert.Equal((210L + 510, 25), Summary(await host.Documents.LoadAsync<CounterDocument>(streams[1].Value, Ct)));
        Assert.Equal((210L + 1000, 21), Summary(await host.Documents.LoadAsync<CounterDocument>(streams[2].Value, Ct)));
        Assert.Empty(await host.Services.GetRequiredService<IDocumentStore>().ListAsync(nameof(Counters) + ":rebuild", null, 10, Ct));
        Assert.Equal(3, (await host.Documents.ListAsync<CounterDocument>(cancellationToken: Ct)).Items.Count);
    }

    [Fact]
    public async Task A_unit_of_work_loads_and_stores_many_documents_at_once_and_they_commit_or_roll_back_with_it()
    {
        await using var host = await StartAsync(es => es.AddProjection<Counters>(ProjectionMode.Async));
        var store = host.Services.GetRequiredService<IProjectionStore>();
        var committed = host.Services.GetRequiredService<IDocumentStore>();
        const string Collection = "many";
        var (a, b, c) = ("a-" + Guid.NewGuid().ToString("N"), "b-" + Guid.NewGuid().ToString("N"), "c-" + Guid.NewGuid().ToString("N"));
        static byte[] Json(int n) => Encoding.UTF8.GetBytes($$"""{"n":{{n}}}""");
        static string? N(IReadOnlyDictionary<string, byte[]> found, string id) =>
            found.TryGetValue(id, out var json) ? System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("n").ToString() : null;

        var first = await store.BeginAsync(nameof(Counters), isRebuild: false, Ct);
        await using (first)
        {
            var session = first.Context.Documents!;
            Assert.Empty(await session.LoadManyAsync(Collection, [a, b], Ct));
            await session.StoreManyAsync(Collection, [new(a, Json(1)), new(b, Json(2))], Ct);
            await session.StoreManyAsync(Collection, [], Ct);
            var seen = await session.LoadManyAsync(Collection, [a, b, c], Ct);
            Assert.Equal(("1", "2", (string?)null, 2), (N(seen, a), N(seen, b), N(seen, c), seen.Count));
            Assert.Empty(await session.LoadManyAsync(Collection, [], Ct));
            await Assert.ThrowsAsync<ArgumentException>(async () => await session.StoreManyAsync(Collection, [new(c, Json(3)), new(c, Json(4))], Ct));
            await Assert.ThrowsAsync<ArgumentException>(async () => await session.LoadManyAsync(Collection, [a, string.Empty], Ct));
            await first.CommitAsync(Ct);
        }

        Assert.Equal("2", N(new Dictionary<string, byte[]> { [b] = (await committed.LoadAsync(Collection, b, Ct))! }, b));
        Assert.Null(await committed.LoadAsync(Collection, c, Ct));

        // A second unit replaces one document and adds another, then rolls back: the committed ones stay as they were.
        var second = await store.BeginAsync(nameof(Counters), isRebuild: false, Ct);
        await using (second)
        {
            var session = second.Context.Documents!;
            await session.StoreManyAsync(Collection, [new(b, Json(20)), new(c, Json(30))], Ct);
            var seen = await session.LoadManyAsync(Collection, [a, b, c], Ct);
            Assert.Equal(("1", "20", "30"), (N(seen, a), N(seen, b), N(seen, c)));
        }

        var after = await committed.ListAsync(Collection, null, 10, Ct);
        Assert.Equal([a, b], after.Select(d => d.Key));
        Assert.Equal(["1", "2"], after.Select(d => N(new Dictionary<string, byte[]> { [d.Key] = d.Value }, d.Key)));
    }

    private static (long, int) Summary(CounterDocument? document) => (document!.Total, document.Count);

    /// <summary>Per stream, the total and count of its increments; an increment of <see cref="Poison"/> throws after the document of an earlier event was written.</summary>
    internal sealed class Counters : View<CounterDocument>
    {
        public const int Poison = 666;

        public Counters()
            : base(nameof(Counters)) => On<Incremented>((counter, e, envelope) =>
            {
                if (e.By == Poison)
                {
                    throw new InvalidOperationException("poison");
                }

                counter.Stream = envelope.StreamId.Value;
                counter.Total += e.By;
                counter.Count++;
            });
    }

    /// <summary>A multi-stream view: per note text, how often it was written and by which streams.</summary>
    internal class NotesByText<TCount>(string name) : View<TCount>(name)
        where TCount : NoteCount, new()
    {
        protected void Register()
        {
            Identity<Noted>(e => e.Text);
            On<Noted>((count, _, envelope) =>
            {
                count.Count++;
                count.Streams.Add(envelope.StreamId.Value);
            });
        }
    }

    /// <summary>The view, run async.</summary>
    internal sealed class NotesByText : NotesByText<NoteCount>
    {
        public NotesByText()
            : base(nameof(NotesByText)) => Register();
    }

    /// <summary>The same view, run inline, with a document type of its own (the reader finds a view by its document type).</summary>
    internal sealed class InlineNotesByText : NotesByText<InlineNoteCount>
    {
        public InlineNotesByText()
            : base(nameof(InlineNotesByText)) => Register();
    }

    /// <summary>Writes a document through the unit of work's session, then fails.</summary>
    internal sealed class WritesThenFails : Projection
    {
        public const string ViewName = "writes-then-fails";

        private int _writes;

        public WritesThenFails()
            : base(ViewName) => On<Noted>(async (e, envelope, context, ct) =>
            {
                await context.Documents!.StoreAsync(ViewName, envelope.StreamId.Value, Encoding.UTF8.GetBytes("{}"), ct);
                Interlocked.Increment(ref _writes);
                throw new InvalidOperationException("fails after writing");
            });

        public int Writes => Volatile.Read(ref _writes);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
