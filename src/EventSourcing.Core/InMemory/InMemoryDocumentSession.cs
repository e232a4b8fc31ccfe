using EventSourcing.Documents;

namespace EventSourcing.InMemory;

/// <summary>One unit of work's document changes: read through (its own writes first), applied by <see cref="Commit"/>, dropped otherwise.</summary>
internal sealed class InMemoryDocumentSession(InMemoryDocumentStore store) : IDocumentSession
{
    /// <summary>Per collection: whether it was emptied first, and the documents written (null = deleted).</summary>
    private readonly Dictionary<string, (bool Cleared, Dictionary<string, byte[]?> Changes)> _changes = new(StringComparer.Ordinal);

    public ValueTask<byte[]?> LoadAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        DocumentGuard.Validate(collection, id);
        return ValueTask.FromResult(Load(collection, id));
    }

    public ValueTask<IReadOnlyDictionary<string, byte[]>> LoadManyAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        DocumentGuard.ValidateMany(collection, ids);
        var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if (Load(collection, id) is { } json)
            {
                found[id] = json;
            }
        }

        return ValueTask.FromResult<IReadOnlyDictionary<string, byte[]>>(found);
    }

    public ValueTask StoreManyAsync(string collection, IReadOnlyList<KeyValuePair<string, byte[]>> documents, CancellationToken cancellationToken = default)
    {
        DocumentGuard.ValidateMany(collection, documents);
        var changes = Changes(collection);
        foreach (var (id, json) in documents)
        {
            changes[id] = [.. json];
        }

        return ValueTask.CompletedTask;
    }

    private byte[]? Load(string collection, string id)
    {
        if (_changes.TryGetValue(collection, out var staged))
        {
            if (staged.Changes.TryGetValue(id, out var json))
            {
                return json;
            }

            if (staged.Cleared)
            {
                return null;
            }
        }

        return store.Get(collection, id);
    }

    public ValueTask StoreAsync(string collection, string id, byte[] json, CancellationToken cancellationToken = default)
    {
        DocumentGuard.Validate(collection, id);
        ArgumentNullException.ThrowIfNull(json);
        Changes(collection)[id] = [.. json];
        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        DocumentGuard.Validate(collection, id);
        Changes(collection)[id] = null;
        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteAllAsync(string collection, CancellationToken cancellationToken = default)
    {
        DocumentGuard.Validate(collection);
        _changes[collection] = (true, new Dictionary<string, byte[]?>(StringComparer.Ordinal));
        return ValueTask.CompletedTask;
    }

    public ValueTask ReplaceAllAsync(string source, string target, CancellationToken cancellationToken = default)
    {
        DocumentGuard.Validate(source);
        DocumentGuard.Validate(target);
        var moved = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var staged = _changes.GetValueOrDefault(source);
        if (!staged.Cleared)
        {
            foreach (var (id, json) in store.All(source))
            {
                moved[id] = json;
            }
        }

        foreach (var (id, json) in staged.Changes ?? [])
        {
            if (json is null)
            {
                moved.Remove(id);
            }
            else
            {
                moved[id] = json;
            }
        }

        _changes[target] = (true, moved);
        _changes[source] = (true, new Dictionary<string, byte[]?>(StringComparer.Ordinal));
        return ValueTask.CompletedTask;
    }

    /// <summary>Applies the staged changes; call once the rest of the unit of work is known to commit.</summary>
    public void Commit()
    {
        store.Apply(_changes);
        _changes.Clear();
    }

    private Dictionary<string, byte[]?> Changes(string collection)
    {
        if (!_changes.TryGetValue(collection, out var staged))
        {
            staged = (false, new Dictionary<string, byte[]?>(StringComparer.Ordinal));
            _changes[collection] = staged;
        }

        return staged.Changes;
    }
}
