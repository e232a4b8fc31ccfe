using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace EventSourcing.Serialization;

/// <summary>One stored type name: its CLR type (absent for JSON-only upcast sources) and its upcast step.</summary>
internal sealed class EventTypeEntry(string name, Type? clrType)
{
    public string Name { get; } = name;

    public Type? ClrType { get; } = clrType;

    public JsonTypeInfo? TypeInfo { get; set; }

    /// <summary>The type's metadata under options whose encoder throws on lone surrogates.</summary>
    public JsonTypeInfo? GuardedTypeInfo { get; set; }

    public Func<object, object>? TypedUpcast { get; set; }

    public Func<JsonObject, JsonObject>? JsonUpcast { get; set; }

    public EventTypeEntry? UpcastTarget { get; set; }

    public bool HasUpcaster => TypedUpcast is not null || JsonUpcast is not null;
}
