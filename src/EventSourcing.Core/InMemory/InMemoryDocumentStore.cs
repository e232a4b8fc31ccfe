using EventSourcing.Documents;

namespace EventSourcing.InMemory;

/// <summary>
/// The embedded document store of an <see cref="InMemoryEventStore"/>: collections of UTF-8 JSON
/// documents. Units of work stage their changes in an <see cref="InMemoryDocumentSession"/>, applied
/// at once when the unit commits.
/// </summary>
internal sealed class InMemoryDocumentStore : IDocumentStore
{
    private readonly Dictionary<string, SortedDictionary<string, byte[]>> _collections = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public ValueTask<byte[]?> LoadAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        DocumentGuard.Validate(collection, id);

        // A copy, as a database hands out: a caller that changes it never changes the stored document.
        return ValueTask.FromResult<byte[]?>(Get(collection, id) is { } json ? [.. json] : null);
    }

    public ValueTask<IReadOnlyList<KeyValuePair<string, byte[]>>> ListAsync(string collection, string? after, int limit, CancellationToken cancellationToken = default)
    {
        DocumentGuard.ValidateList(collection, limit);
        var page = new List<KeyValuePair<string, byte[]>>(Math.Min(limit, 256));
        lock (_gate)
        {
            if (_collections.TryGetValue(collection, out var documents))
            {
                foreach (var (id, json) in documents)
                {
                    if (after is not null && DocumentGuard.Order.Compare(id, after) <= 0)
                    {
                        continue;
                    }

                    page.Add(new(id, [.. json]));
                    if (page.Count == limit)
                    {
                        break;
                    }
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<KeyValuePair<string, byte[]>>>(page);
    }

    public InMemoryDocumentSession BeginSession() => new(this);

    internal byte[]? Get(string collection, string id)
    {
        lock (_gate)
        {
            return _collections.TryGetValue(collection, out var documents) && documents.TryGetValue(id, out var json) ? json : null;
        }
    }

    internal List<KeyValuePair<string, byte[]>> All(string collection)
    {
        lock (_gate)
        {
            return _collections.TryGetValue(collection, out var documents) ? [.. documents] : [];
        }
    }

    /// <summary>Applies a session's changes at once.</summary>
    internal void Apply(Dictionary<string, (bool Cleared, Dictionary<string, byte[]?> Changes)> changes)
    {
        lock (_gate)
        {
            foreach (var (collection, (cleared, documents)) in changes)
            {
                if (cleared || !_collections.TryGetValue(collection, out var target))
                {
                    target = new SortedDictionary<string, byte[]>(DocumentGuard.Order);
                    _collections[collection] = target;
                }

                foreach (var (id, json) in documents)
                {
                    if (json is null)
                    {
                        target.Remove(id);
                    }
                    else
                    {
                        target[id] = json;
                    }
                }
            }
        }
    }
}
