namespace EventSourcing.Postgres;

/// <summary>What the application does with the database schema when it starts.</summary>
public enum SchemaMode
{
    /// <summary>
    /// Touch nothing: verify that every schema script of this library version was applied (by a DBA,
    /// e.g. from <see cref="PostgresSchemaInitializer.GetScript"/>) and fail fast when not.
    /// </summary>
    None,

    /// <summary>Create the schema, or apply the scripts it is missing, under an advisory lock (the default).</summary>
    CreateOrUpdate,
}
