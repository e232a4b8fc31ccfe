using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EventSourcing.Projections;
using EventSourcing.Serialization;

namespace EventSourcing.Documents;

/// <summary>
/// Reads the committed documents of the registered views (<see cref="View{TDocument}"/>), by document
/// type: resolve it from the container. A view being rebuilt keeps serving its live documents until the
/// rebuild swaps them.
/// </summary>
public sealed class DocumentReader
{
    private readonly IDocumentStore _store;
    private readonly EventTypeRegistry _registry;
    private readonly Lazy<Dictionary<Type, string[]>> _collections;

    internal DocumentReader(IDocumentStore store, EventTypeRegistry registry, Func<IEnumerable<IProjection>> projections)
    {
        _store = store;
        _registry = registry;
        _collections = new(() => projections().OfType<IDocumentView>().GroupBy(v => v.DocumentType).ToDictionary(g => g.Key, g => g.Select(v => v.Name).ToArray()));
    }

    /// <summary>Loads the document with this id.</summary>
    /// <typeparam name="TDocument">The document type of exactly one registered view.</typeparam>
    /// <param name="id">The document's id (for a single-stream view, the stream id).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The document, or null when there is none.</returns>
    /// <exception cref="ArgumentException">The id is empty, too long, or holds NUL characters or lone surrogates.</exception>
    /// <exception cref="InvalidOperationException">No registered view, or more than one, stores <typeparamref name="TDocument"/>.</exception>
    public async ValueTask<TDocument?> LoadAsync<TDocument>(string id, CancellationToken cancellationToken = default)
        where TDocument : class
    {
        var collection = CollectionOf<TDocument>();
        DocumentGuard.Validate(collection, id);
        var json = await _store.LoadAsync(collection, id, cancellationToken).ConfigureAwait(false);
        return json is null ? null : JsonSerializer.Deserialize(json, TypeInfo<TDocument>());
    }

    /// <summary>Lists documents in id order (ordinal, by code point), a page at a time.</summary>
    /// <typeparam name="TDocument">The document type of exactly one registered view.</typeparam>
    /// <param name="after">Start after this id (the previous page's <see cref="DocumentPage{TDocument}.Next"/>); from the first when null.</param>
    /// <param name="limit">The page size, at least 1.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The limit is below 1.</exception>
    /// <exception cref="InvalidOperationException">No registered view, or more than one, stores <typeparamref name="TDocument"/>.</exception>
    public async ValueTask<DocumentPage<TDocument>> ListAsync<TDocument>(string? after = null, int limit = 100, CancellationToken cancellationToken = default)
        where TDocument : class
    {
        var collection = CollectionOf<TDocument>();
        DocumentGuard.ValidateList(collection, limit);
        var rows = await _store.ListAsync(collection, after, limit, cancellationToken).ConfigureAwait(false);
        var info = TypeInfo<TDocument>();
        var items = new KeyValuePair<string, TDocument>[rows.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = new(rows[i].Key, JsonSerializer.Deserialize(rows[i].Value, info)!);
        }

        return new DocumentPage<TDocument>(items, items.Length == limit ? items[^1].Key : null);
    }

    private string CollectionOf<TDocument>() => _collections.Value.TryGetValue(typeof(TDocument), out var names)
        ? names.Length == 1
            ? names[0]
            : throw new InvalidOperationException($"Several views store {typeof(TDocument).Name} ({string.Join(", ", names)}): give each view a document type of its own.")
        : throw new InvalidOperationException($"No registered view stores {typeof(TDocument).Name}: add a View<{typeof(TDocument).Name}> with es.AddProjection.");

    private JsonTypeInfo<TDocument> TypeInfo<TDocument>() => (JsonTypeInfo<TDocument>)_registry.JsonOptions.GetTypeInfo(typeof(TDocument));
}
