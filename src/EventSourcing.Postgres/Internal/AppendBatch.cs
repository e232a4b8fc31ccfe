namespace EventSourcing.Postgres.Internal;

/// <summary>
/// A batch as the append statements take it: the events' ids, stored type names, payloads and metadata
/// (UTF-8 json; null metadata when empty), side by side, and the timestamp of them all.
/// </summary>
internal readonly record struct AppendBatch(Guid[] Ids, string[] Types, byte[][] Data, byte[]?[] Metadata, DateTimeOffset Timestamp)
{
    public int Count => Ids.Length;
}
