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
        if (_changes.TryGetValue(collection, out var staged))
        {
            if (staged.Changes.TryGetValue(id, out var json))
            {
                return ValueTask.FromResult(json);
            }

            if (staged.Cleared)
            {
                return ValueTask.FromResult<byte[]?>(null);
            }
        }

        return ValueTask.FromResult(store.Get(collection, id));
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
