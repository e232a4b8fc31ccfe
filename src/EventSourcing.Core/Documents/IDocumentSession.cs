namespace EventSourcing.Documents;

/// <summary>
/// Documents inside one projection unit of work (backend SPI): what is written here commits with the
/// unit's checkpoint (async projections) or with the append (inline projections), or not at all. A
/// document is UTF-8 JSON under an id in a named collection; the session sees its own writes.
/// </summary>
public interface IDocumentSession
{
    /// <summary>Loads a document as this unit of work sees it.</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The document's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The UTF-8 JSON, or null when there is no such document.</returns>
    ValueTask<byte[]?> LoadAsync(string collection, string id, CancellationToken cancellationToken = default);

    /// <summary>Loads several documents as this unit of work sees them, in one round trip where the backend can (a view loads the documents of a batch this way).</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="ids">The documents' ids.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The UTF-8 JSON of the documents that exist, by id; ids without a document are absent.</returns>
    ValueTask<IReadOnlyDictionary<string, byte[]>> LoadManyAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces a document.</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The document's id.</param>
    /// <param name="json">The document as UTF-8 JSON.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the write is staged.</returns>
    ValueTask StoreAsync(string collection, string id, byte[] json, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces several documents, in one round trip where the backend can (a view writes the documents of a batch this way).</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="documents">The ids (distinct) and UTF-8 JSON documents.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the writes are staged.</returns>
    /// <exception cref="ArgumentException">An id breaks the rules of <see cref="DocumentGuard"/> or appears twice.</exception>
    ValueTask StoreManyAsync(string collection, IReadOnlyList<KeyValuePair<string, byte[]>> documents, CancellationToken cancellationToken = default);

    /// <summary>Deletes a document; nothing happens when there is none.</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The document's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the delete is staged.</returns>
    ValueTask DeleteAsync(string collection, string id, CancellationToken cancellationToken = default);

    /// <summary>Deletes every document of a collection (e.g. a rebuild's shadow before it starts).</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the delete is staged.</returns>
    ValueTask DeleteAllAsync(string collection, CancellationToken cancellationToken = default);

    /// <summary>Replaces every document of <paramref name="target"/> with those of <paramref name="source"/>, which ends empty (a rebuild's swap).</summary>
    /// <param name="source">The collection whose documents move (the shadow).</param>
    /// <param name="target">The collection they replace (the live one).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the move is staged.</returns>
    ValueTask ReplaceAllAsync(string source, string target, CancellationToken cancellationToken = default);
}
