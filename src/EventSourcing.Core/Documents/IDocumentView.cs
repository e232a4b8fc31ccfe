namespace EventSourcing.Documents;

/// <summary>A projection whose read model is a collection of documents named after it.</summary>
internal interface IDocumentView
{
    /// <summary>The projection's (and its collection's) name.</summary>
    string Name { get; }

    /// <summary>The documents' type.</summary>
    Type DocumentType { get; }
}
