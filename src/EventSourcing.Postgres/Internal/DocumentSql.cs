namespace EventSourcing.Postgres.Internal;

/// <summary>The statements on the <c>documents</c> table of one schema; every value is a positional parameter.</summary>
internal sealed class DocumentSql(string quotedSchema)
{
    public string Load { get; } = $"select data from {quotedSchema}.documents where collection = $1 and id = $2";

    public string Upsert { get; } = $"""
        insert into {quotedSchema}.documents (collection, id, data) values ($1, $2, $3)
        on conflict (collection, id) do update set data = excluded.data
        """;

    /// <summary>The documents among the ids of $2 (text[]).</summary>
    public string LoadMany { get; } = $"select id, data from {quotedSchema}.documents where collection = $1 and id = any($2)";

    /// <summary>Upserts the documents of the parallel arrays $2 (ids, distinct) and $3 (jsonb) in one statement.</summary>
    public string UpsertMany { get; } = $"""
        insert into {quotedSchema}.documents (collection, id, data) select $1, d.id, d.data from unnest($2::text[], $3::jsonb[]) as d (id, data)
        on conflict (collection, id) do update set data = excluded.data
        """;

    public string Delete { get; } = $"delete from {quotedSchema}.documents where collection = $1 and id = $2";

    public string DeleteAll { get; } = $"delete from {quotedSchema}.documents where collection = $1";

    public string Rename { get; } = $"update {quotedSchema}.documents set collection = $2 where collection = $1";

    /// <summary>Ids after $2 ('' = from the first; ids are never empty), in code point order.</summary>
    public string List { get; } = $"select id, data from {quotedSchema}.documents where collection = $1 and id > $2 order by id limit $3";
}
