using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EventSourcing.Serialization;

public sealed partial class EventTypeRegistry
{
    /// <summary>Serializes an event to UTF-8 JSON and gives its stored name.</summary>
    internal byte[] SerializeEvent(object @event, out string name)
    {
        var entry = Resolve(@event.GetType());
        name = entry.Name;
        return JsonSerializer.SerializeToUtf8Bytes(@event, TypeInfo(entry));
    }

    /// <summary>
    /// Turns a stored payload back into the current event, through aliases and upcasters. Errors name
    /// the stored event; under <see cref="UnreadableEventPolicy.ReturnUnreadable"/> they come back as
    /// an <see cref="UnreadableEvent"/> instead.
    /// </summary>
    internal object DeserializeEvent(string storedName, ReadOnlySpan<byte> utf8Json, Guid eventId, StreamId streamId, long streamVersion, out string currentName)
    {
        if (!TryResolve(storedName, out var entry))
        {
            return Unreadable(new UnknownEventTypeException(storedName, eventId, streamId, streamVersion), storedName, utf8Json, out currentName);
        }

        try
        {
            return DeserializeEntry(entry, utf8Json, out currentName);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or InvalidCastException or NotSupportedException or ArgumentException or FormatException)
        {
            return Unreadable(new EventDeserializationException(eventId, streamId, streamVersion, storedName, ex), storedName, utf8Json, out currentName);
        }
    }

    /// <summary>
    /// As <see cref="DeserializeEvent(string, ReadOnlySpan{byte}, Guid, StreamId, long, out string)"/>, for a
    /// stored name read into a buffer: no string is allocated unless the event cannot be read.
    /// </summary>
    internal object DeserializeEvent(ReadOnlySpan<char> storedName, ReadOnlySpan<byte> utf8Json, Guid eventId, StreamId streamId, long streamVersion, out string currentName)
    {
        if (!TryResolve(storedName, out var entry))
        {
            return DeserializeEvent(storedName.ToString(), utf8Json, eventId, streamId, streamVersion, out currentName);
        }

        try
        {
            return DeserializeEntry(entry, utf8Json, out currentName);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or InvalidCastException or NotSupportedException or ArgumentException or FormatException)
        {
            var name = storedName.ToString();
            return Unreadable(new EventDeserializationException(eventId, streamId, streamVersion, name, ex), name, utf8Json, out currentName);
        }
    }

    private object DeserializeEntry(EventTypeEntry entry, ReadOnlySpan<byte> utf8Json, out string currentName)
    {
        var current = entry;
        var data = utf8Json;
        for (var hops = 0; current.JsonUpcast is not null; hops++)
        {
            GuardChain(hops);
            var node = JsonNode.Parse(data) as JsonObject ?? throw new JsonException("The stored payload is not a JSON object.");
            data = ToUtf8(current.JsonUpcast(node));
            current = current.UpcastTarget!;
        }

        var @event = JsonSerializer.Deserialize(data, TypeInfo(current)) ?? throw new JsonException("The stored payload is JSON null.");
        return UpcastObject(current, @event, out currentName);
    }

    /// <summary>Runs the typed upcasters from <paramref name="entry"/> on, giving the event and name readers see.</summary>
    internal object UpcastObject(EventTypeEntry entry, object @event, out string currentName)
    {
        var current = entry;
        for (var hops = 0; current.TypedUpcast is not null; hops++)
        {
            GuardChain(hops);
            @event = current.TypedUpcast(@event);
            current = current.UpcastTarget!;
        }

        currentName = current.Name;
        return @event;
    }

    private object Unreadable(EventStoreException error, string storedName, ReadOnlySpan<byte> utf8Json, out string currentName)
    {
        if (UnreadableEvents == UnreadableEventPolicy.Throw)
        {
            throw error;
        }

        currentName = storedName;
        return new UnreadableEvent(storedName, utf8Json.ToArray(), error);
    }

    private static void GuardChain(int hops)
    {
        if (hops > 64)
        {
            throw new InvalidOperationException("The upcaster chain is longer than 64 steps; it probably loops.");
        }
    }

    private static byte[] ToUtf8(JsonObject node)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
