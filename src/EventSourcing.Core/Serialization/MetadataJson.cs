using System.Buffers;
using System.Collections.ObjectModel;
using System.Text.Json;

namespace EventSourcing.Serialization;

/// <summary>Reads and writes <see cref="EventMetadata"/> as a small JSON object, without reflection (backend SPI: the stored form of metadata).</summary>
public static class MetadataJson
{
    private const string Correlation = "correlationId";
    private const string Causation = "causationId";
    private const string HeadersName = "headers";

    /// <summary>
    /// Serializes metadata as an append stores it; null when it is empty (nothing is stored). When an
    /// <see cref="System.Diagnostics.Activity"/> is current and the metadata has no
    /// <see cref="EventSourcingDiagnostics.TraceParentHeader"/> header, the activity's W3C id is stored
    /// in that header (the caller's own value is kept), so projections can link back to the append's trace.
    /// </summary>
    /// <param name="metadata">The metadata.</param>
    /// <returns>UTF-8 JSON, or null when the metadata is empty.</returns>
    /// <exception cref="ArgumentException">A string of the metadata holds a lone UTF-16 surrogate.</exception>
    public static byte[]? Serialize(EventMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var traceParent = TraceContext.ParentToAdd(metadata);
        if (metadata.IsEmpty && traceParent is null)
        {
            return null;
        }

        Validate(metadata);
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (metadata.CorrelationId is not null)
            {
                writer.WriteString(Correlation, metadata.CorrelationId);
            }

            if (metadata.CausationId is not null)
            {
                writer.WriteString(Causation, metadata.CausationId);
            }

            if (metadata.Headers.Count > 0 || traceParent is not null)
            {
                writer.WriteStartObject(HeadersName);
                foreach (var (key, value) in metadata.Headers)
                {
                    writer.WriteString(key, value);
                }

                if (traceParent is not null)
                {
                    writer.WriteString(EventSourcingDiagnostics.TraceParentHeader, traceParent);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// What <see cref="Deserialize"/> of <see cref="Serialize"/> returns (the current trace added, null header
    /// values read as empty, the same refusals), without the JSON: the in-memory store keeps this copy.
    /// </summary>
    internal static EventMetadata Stored(EventMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var traceParent = TraceContext.ParentToAdd(metadata);
        if (metadata.IsEmpty && traceParent is null)
        {
            return EventMetadata.Empty;
        }

        Validate(metadata);
        var count = metadata.Headers.Count + (traceParent is null ? 0 : 1);
        if (count == 0)
        {
            return new EventMetadata { CorrelationId = metadata.CorrelationId, CausationId = metadata.CausationId };
        }

        // Keys are unique (they come from a dictionary, and the trace only when its key is absent).
        var entries = new KeyValuePair<string, string>[count];
        var i = 0;
        foreach (var (key, value) in metadata.Headers)
        {
            entries[i++] = new(key, value ?? string.Empty);
        }

        if (traceParent is not null)
        {
            entries[i] = new(EventSourcingDiagnostics.TraceParentHeader, traceParent);
        }

        IReadOnlyDictionary<string, string> stored = count <= SmallHeaders.MaxCount
            ? new SmallHeaders(entries)
            : new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(entries, StringComparer.Ordinal));
        return new EventMetadata { CorrelationId = metadata.CorrelationId, CausationId = metadata.CausationId, Headers = stored };
    }

    /// <summary>Reads metadata written by <see cref="Serialize"/>; empty input is empty metadata.</summary>
    /// <param name="utf8Json">The stored bytes.</param>
    /// <returns>The metadata.</returns>
    /// <exception cref="System.Text.Json.JsonException">The bytes are not metadata JSON.</exception>
    public static EventMetadata Deserialize(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.IsEmpty)
        {
            return EventMetadata.Empty;
        }

        var reader = new Utf8JsonReader(utf8Json);

        // Up to SmallHeaders.MaxCount headers (a trace header, a few more) are gathered in this thread's
        // scratch array and kept in one exact-size array; more go to a dictionary. A repeated name keeps
        // its first place and takes the last value, and a repeated "headers" object replaces the first.
        var small = Scratch ??= new KeyValuePair<string, string>[SmallHeaders.MaxCount];
        try
        {
            return Read(ref reader, small);
        }
        finally
        {
            Array.Clear(small); // no strings kept alive by the scratch array
        }
    }

    private static EventMetadata Read(ref Utf8JsonReader reader, KeyValuePair<string, string>[] small)
    {
        string? correlation = null;
        string? causation = null;
        var count = 0;
        Dictionary<string, string>? many = null;
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(Correlation))
            {
                reader.Read();
                correlation = reader.GetString();
            }
            else if (reader.ValueTextEquals(Causation))
            {
                reader.Read();
                causation = reader.GetString();
            }
            else if (reader.ValueTextEquals(HeadersName))
            {
                Expect(ref reader, JsonTokenType.StartObject);
                (count, many) = (0, null);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    // The trace header, on every event appended under an activity: its name is not allocated again.
                    var key = reader.ValueTextEquals(EventSourcingDiagnostics.TraceParentHeader) ? EventSourcingDiagnostics.TraceParentHeader : reader.GetString()!;
                    reader.Read();
                    var value = reader.GetString() ?? string.Empty;
                    if (many is not null)
                    {
                        many[key] = value;
                    }
                    else if (IndexOf(small, count, key) is var at and >= 0)
                    {
                        small[at] = new(key, value);
                    }
                    else if (count < small.Length)
                    {
                        small[count++] = new(key, value);
                    }
                    else
                    {
                        many = new Dictionary<string, string>(small.Length * 2, StringComparer.Ordinal);
                        foreach (var (k, v) in small)
                        {
                            many[k] = v;
                        }

                        many[key] = value;
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        IReadOnlyDictionary<string, string> headers;
        if (many is not null)
        {
            // Read-only, so a reader cannot change what the next reader of a shared instance sees.
            headers = new ReadOnlyDictionary<string, string>(many);
        }
        else if (count > 0)
        {
            headers = new SmallHeaders(small.AsSpan(0, count).ToArray());
        }
        else
        {
            headers = EventMetadata.Empty.Headers;
        }

        return new EventMetadata { CorrelationId = correlation, CausationId = causation, Headers = headers };
    }

    [ThreadStatic]
    private static KeyValuePair<string, string>[]? Scratch;

    private static int IndexOf(KeyValuePair<string, string>[] entries, int count, string key)
    {
        for (var i = 0; i < count; i++)
        {
            if (string.Equals(entries[i].Key, key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The writer would store a lone surrogate as U+FFFD: refuse it instead, as for event payloads.</summary>
    private static void Validate(EventMetadata metadata)
    {
        LoneSurrogates.ThrowIfAny(metadata.CorrelationId, "events", "The correlation id");
        LoneSurrogates.ThrowIfAny(metadata.CausationId, "events", "The causation id");
        foreach (var (key, value) in metadata.Headers)
        {
            LoneSurrogates.ThrowIfAny(key, "events", "A header name");
            LoneSurrogates.ThrowIfAny(value, "events", $"Header '{key}'");
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token)
    {
        if (!reader.Read() || reader.TokenType != token)
        {
            throw new JsonException($"Stored metadata is malformed: expected {token}.");
        }
    }
}
