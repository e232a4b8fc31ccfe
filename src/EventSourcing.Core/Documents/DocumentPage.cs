namespace EventSourcing.Documents;

/// <summary>One page of a view's documents, in id order.</summary>
/// <typeparam name="TDocument">The document type.</typeparam>
/// <param name="Items">The ids and documents.</param>
/// <param name="Next">The id to pass as <c>after</c> for the next page; null when this page is the last.</param>
public sealed record DocumentPage<TDocument>(IReadOnlyList<KeyValuePair<string, TDocument>> Items, string? Next);
