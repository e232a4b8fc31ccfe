using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EventSourcing.Documents;
using EventSourcing.InMemory;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Testing;
using Xunit;

namespace EventSourcing.Core.Tests;

/// <summary>A view folds a batch with one load of the documents it touches and one write of them, whatever the batch's length.</summary>
public sealed class ViewBatchTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_view_loads_the_documents_of_a_batch_in_one_call_and_writes_them_in_one_call()
    {
        var registry = new EventTypeRegistry(Json).Register<Incremented>("incremented");
        var store = new InMemoryEventStore(registry);
        var (a, b, c) = (TestData.NewStream("a"), TestData.NewStream("b"), TestData.NewStream("c"));
        foreach (var (stream, by) in new[] { (a, 1), (b, 2), (a, 3), (c, 4), (b, 5), (a, 6) })
        {
            await store.AppendAsync(stream, ExpectedVersion.Any, [new EventData(new Incremented(by))], Ct);
        }

        var batch = await LogAsync(store);

        var view = new Sums();
        ((ITypedProjection)view).Bind(registry);
        var session = new CountingSession();
        session.Documents[a.Value] = Encoding.UTF8.GetBytes("""{"total":100,"count":1}""");

        await view.ProjectBatchAsync(batch, new ProjectionContext(Sums.ViewName, isRebuild: false) { Documents = session }, Ct);

        var load = Assert.Single(session.LoadMany);
        Assert.Equal(Sums.ViewName, load.Collection);
        Assert.Equal([a.Value, b.Value, c.Value], load.Ids.Order(StringComparer.Ordinal));
        var store1 = Assert.Single(session.StoreMany);
        Assert.Equal([a.Value, b.Value, c.Value], store1.Order(StringComparer.Ordinal));
        Assert.Equal(0, session.Singles);
        Assert.Equal((110L, 4), Read(session, a));
        Assert.Equal((7L, 2), Read(session, b));
        Assert.Equal((4L, 1), Read(session, c));
    }

    [Fact]
    public async Task A_batch_folds_runs_of_one_stream_deletes_and_recreates_in_order_and_writes_in_first_touch_order()
    {
        var registry = new EventTypeRegistry(Json).Register<Incremented>("incremented").Register<Noted>("noted");
        var store = new InMemoryEventStore(registry);
        var (a, b) = (TestData.NewStream("a"), TestData.NewStream("b"));
        await store.AppendAsync(b, ExpectedVersion.Any, [new EventData(new Incremented(1))], Ct);
        await store.AppendAsync(a, ExpectedVersion.Any, [new EventData(new Incremented(2)), new EventData(new Incremented(3)), new EventData(new Noted("delete")), new EventData(new Incremented(4))], Ct);
        await store.AppendAsync(b, ExpectedVersion.Any, [new EventData(new Noted("delete"))], Ct);
        var batch = await LogAsync(store);

        var view = new Deleting();
        ((ITypedProjection)view).Bind(registry);
        var session = new CountingSession();
        session.Documents[b.Value] = Encoding.UTF8.GetBytes("""{"total":100,"count":1}""");

        await view.ProjectBatchAsync(batch, new ProjectionContext(Deleting.ViewName, isRebuild: false) { Documents = session }, Ct);

        // b was touched first: its load comes first; it ends deleted. a was deleted, then began again at 4.
        Assert.Equal([b.Value, a.Value], Assert.Single(session.LoadMany).Ids);
        Assert.Equal([a.Value], Assert.Single(session.StoreMany));
        Assert.Equal((4L, 1), Read(session, a));
        Assert.False(session.Documents.ContainsKey(b.Value));
        Assert.Equal(1, session.Singles);
    }

    [Fact]
    public async Task An_invalid_document_id_in_a_batch_fails_it_before_any_document_is_loaded()
    {
        var registry = new EventTypeRegistry(Json).Register<Incremented>("incremented");
        var store = new InMemoryEventStore(registry);
        var a = TestData.NewStream("a");
        await store.AppendAsync(a, ExpectedVersion.Any, [new EventData(new Incremented(1)), new EventData(new Incremented(2)), new EventData(new Incremented(0))], Ct);
        var batch = await LogAsync(store);

        var view = new Keyed();
        ((ITypedProjection)view).Bind(registry);
        var session = new CountingSession();

        await Assert.ThrowsAsync<ArgumentException>(() => view.ProjectBatchAsync(batch, new ProjectionContext(Keyed.ViewName, isRebuild: false) { Documents = session }, Ct).AsTask());

        Assert.Empty(session.LoadMany);
        Assert.Empty(session.StoreMany);
    }

    private static async Task<List<EventEnvelope>> LogAsync(InMemoryEventStore store)
    {
        var batch = new List<EventEnvelope>();
        await foreach (var e in store.ReadAllAsync(GlobalPosition.Start, cancellationToken: Ct))
        {
            batch.Add(e);
        }

        return batch;
    }

    private static (long, int) Read(CountingSession session, StreamId stream)
    {
        var document = JsonSerializer.Deserialize<Sum>(session.Documents[stream.Value], Json)!;
        return (document.Total, document.Count);
    }

    private sealed class Sum
    {
        public long Total { get; set; }

        public int Count { get; set; }
    }

    private sealed class Sums : View<Sum>
    {
        public const string ViewName = "sums";

        public Sums()
            : base(ViewName) => On<Incremented>((sum, e) =>
            {
                sum.Total += e.By;
                sum.Count++;
            });
    }

    private sealed class Deleting : View<Sum>
    {
        public const string ViewName = "deleting";

        public Deleting()
            : base(ViewName)
        {
            On<Incremented>((sum, e) =>
            {
                sum.Total += e.By;
                sum.Count++;
            });
            On<Noted>((_, _) => null);
        }
    }

    /// <summary>Keys each event by its amount: 0 gives an id with a NUL character, which no backend accepts.</summary>
    private sealed class Keyed : View<Sum>
    {
        public const string ViewName = "keyed";

        public Keyed()
            : base(ViewName)
        {
            On<Incremented>((sum, e) => sum.Total += e.By);
            Identity<Incremented>(e => e.By == 0 ? "bad\0id" : "k" + e.By);
        }
    }

    /// <summary>A session over a dictionary that counts its calls; single-document calls are counted apart.</summary>
    private sealed class CountingSession : IDocumentSession
    {
        public Dictionary<string, byte[]> Documents { get; } = new(StringComparer.Ordinal);

        public List<(string Collection, string[] Ids)> LoadMany { get; } = [];

        public List<string[]> StoreMany { get; } = [];

        public int Singles { get; private set; }

        public ValueTask<IReadOnlyDictionary<string, byte[]>> LoadManyAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
        {
            LoadMany.Add((collection, [.. ids]));
            return ValueTask.FromResult<IReadOnlyDictionary<string, byte[]>>(ids.Where(Documents.ContainsKey).ToDictionary(id => id, id => Documents[id], StringComparer.Ordinal));
        }

        public ValueTask StoreManyAsync(string collection, IReadOnlyList<KeyValuePair<string, byte[]>> documents, CancellationToken cancellationToken = default)
        {
            StoreMany.Add([.. documents.Select(d => d.Key)]);
            foreach (var (id, json) in documents)
            {
                Documents[id] = json;
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask<byte[]?> LoadAsync(string collection, string id, CancellationToken cancellationToken = default)
        {
            Singles++;
            return ValueTask.FromResult(Documents.GetValueOrDefault(id));
        }

        public ValueTask StoreAsync(string collection, string id, byte[] json, CancellationToken cancellationToken = default)
        {
            Singles++;
            Documents[id] = json;
            return ValueTask.CompletedTask;
        }

        public ValueTask DeleteAsync(string collection, string id, CancellationToken cancellationToken = default)
        {
            Singles++;
            Documents.Remove(id);
            return ValueTask.CompletedTask;
        }

        public ValueTask DeleteAllAsync(string collection, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask ReplaceAllAsync(string source, string target, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
