using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace EventSourcing;

/// <summary>
/// Read-only headers of a few entries in one array, looked up by ordinal comparison: what the in-memory
/// store keeps per event (a dictionary and its read-only wrapper would be four objects per event that live
/// as long as the store; with a trace recorded in every event's metadata that was most of the cost of listening).
/// </summary>
internal sealed class SmallHeaders(KeyValuePair<string, string>[] entries) : IReadOnlyDictionary<string, string>
{
    /// <summary>At most this many entries: beyond it a dictionary's lookups win.</summary>
    public const int MaxCount = 8;

    public int Count => entries.Length;

    public IEnumerable<string> Keys => entries.Select(e => e.Key);

    public IEnumerable<string> Values => entries.Select(e => e.Value);

    public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"No header '{key}'.");

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        foreach (var entry in entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
