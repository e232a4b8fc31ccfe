using System.Buffers;
using System.Text.Json;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace EventSourcing.Serialization;

public sealed partial class EventTypeRegistry
{
    /// <summary>Serializes an event to UTF-8 JSON and gives the name to store it under (backend SPI).</summary>
    /// <param name="event">The event.</param>
    /// <param name="name">The registered name of its type.</param>
    /// <returns>The payload.</returns>
    /// <exception cref="UnknownEventTypeException">The event's type is not registered.</exception>
    /// <exception cref="ArgumentException">A string of the event holds a lone UTF-16 surrogate.</exception>
    /// <exception cref="NotSupportedException">The serializer refuses the event (a cycle, too deep, a getter that throws).</exception>
    public byte[] SerializeEvent(object @event, out string name)
    {
        var bytes = SerializeWithEntry(@event, out var entry);
        name = entry.Name;
        return bytes;
    }

    /// <summary>
    /// Serializes an event to UTF-8 JSON and gives its registry entry. What the serializer refuses (a
    /// getter that throws, a cycle, nesting deeper than its maximum depth) throws here, before any store
    /// writes; so does a lone surrogate, which the serializer would otherwise write as U+FFFD.
    /// </summary>
    internal byte[] SerializeWithEntry(object @event, out EventTypeEntry entry)
    {
        entry = Resolve(@event.GetType());
        var bytes = JsonSerializer.SerializeToUtf8Bytes(@event, TypeInfo(entry));
        if (MayHoldReplacementCharacter(bytes))
        {
            // Rare: the output holds U+FFFD, which is either the event's own (fine) or a lone surrogate the
            // encoder replaced. A second pass through an encoder that throws on lone surrogates tells which.
            JsonSerializer.SerializeToUtf8Bytes(@event, GuardedTypeInfo(entry));
        }

        return bytes;
    }

    /// <summary>The name readers see for events stored under <paramref name="entry"/>'s name: the end of its upcast chain.</summary>
    internal static string ReadName(EventTypeEntry entry)
    {
        var current = entry;
        for (var hops = 0; current.UpcastTarget is not null; hops++)
        {
            GuardChain(hops);
            current = current.UpcastTarget;
        }

        return current.Name;
    }

    /// <summary>
    /// As <see cref="DeserializeEvent(string, ReadOnlySpan{byte}, Guid, StreamId, long, out string)"/>, for a
    /// payload whose stored name was resolved when it was written (the in-memory store).
    /// </summary>
    internal object DeserializeEvent(EventTypeEntry entry, ReadOnlySpan<byte> utf8Json, Guid eventId, StreamId streamId, long streamVersion, out string currentName)
    {
        try
        {
            return DeserializeEntry(entry, utf8Json, out currentName);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or InvalidCastException or NotSupportedException or ArgumentException or FormatException)
        {
            return Unreadable(new EventDeserializationException(eventId, streamId, streamVersion, entry.Name, ex), entry.Name, utf8Json, out currentName);
        }
    }

    /// <summary>
    /// Turns a stored payload back into the current event, through aliases and upcasters (backend SPI).
    /// Errors name the stored event; under <see cref="UnreadableEventPolicy.ReturnUnreadable"/> they come
    /// back as an <see cref="UnreadableEvent"/> instead.
    /// </summary>
    /// <param name="storedName">The name the event was stored under.</param>
    /// <param name="utf8Json">The stored payload.</param>
    /// <param name="eventId">The event's id (for error messages).</param>
    /// <param name="streamId">The event's stream (for error messages).</param>
    /// <param name="streamVersion">The event's version (for error messages).</param>
    /// <param name="currentName">The name readers see: the end of the upcast chain.</param>
    /// <returns>The event, or an <see cref="UnreadableEvent"/>.</returns>
    /// <exception cref="UnknownEventTypeException">The stored name is not registered.</exception>
    /// <exception cref="EventDeserializationException">The payload cannot be read as the registered type.</exception>
    public object DeserializeEvent(string storedName, ReadOnlySpan<byte> utf8Json, Guid eventId, StreamId streamId, long streamVersion, out string currentName)
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
    /// <param name="storedName">The name the event was stored under.</param>
    /// <param name="utf8Json">The stored payload.</param>
    /// <param name="eventId">The event's id (for error messages).</param>
    /// <param name="streamId">The event's stream (for error messages).</param>
    /// <param name="streamVersion">The event's version (for error messages).</param>
    /// <param name="currentName">The name readers see: the end of the upcast chain.</param>
    /// <returns>The event, or an <see cref="UnreadableEvent"/>.</returns>
    /// <exception cref="UnknownEventTypeException">The stored name is not registered.</exception>
    /// <exception cref="EventDeserializationException">The payload cannot be read as the registered type.</exception>
    public object DeserializeEvent(ReadOnlySpan<char> storedName, ReadOnlySpan<byte> utf8Json, Guid eventId, StreamId streamId, long streamVersion, out string currentName)
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

    private static bool MayHoldReplacementCharacter(ReadOnlySpan<byte> utf8Json) =>
        utf8Json.IndexOf("\\uFFFD"u8) >= 0 || utf8Json.IndexOf("\\ufffd"u8) >= 0 || utf8Json.IndexOf("\uFFFD"u8) >= 0;

    private JsonTypeInfo GuardedTypeInfo(EventTypeEntry entry)
    {
        var options = _guardedOptions ??= new JsonSerializerOptions(_options) { Encoder = new SurrogateGuardEncoder(_options.Encoder ?? JavaScriptEncoder.Default) };
        return entry.GuardedTypeInfo ??= options.GetTypeInfo(entry.ClrType!);
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
