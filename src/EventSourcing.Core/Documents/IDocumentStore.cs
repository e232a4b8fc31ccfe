namespace EventSourcing.Documents;

/// <summary>
/// Reads committed documents outside any unit of work (backend SPI; applications read through
/// <see cref="DocumentReader"/>). Ids order ordinally, which is the order of <see cref="ListAsync"/>.
/// </summary>
public interface IDocumentStore
{
    /// <summary>Loads a committed document.</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The document's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The UTF-8 JSON, or null when there is no such document.</returns>
    ValueTask<byte[]?> LoadAsync(string collection, string id, CancellationToken cancellationToken = default);

    /// <summary>Lists committed documents in ordinal order of their ids, after an id.</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="after">Only ids greater than this one (ordinal); from the first when null.</param>
    /// <param name="limit">At most this many documents (at least 1).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ids and UTF-8 JSON documents, in id order.</returns>
    ValueTask<IReadOnlyList<KeyValuePair<string, byte[]>>> ListAsync(string collection, string? after, int limit, CancellationToken cancellationToken = default);
}
