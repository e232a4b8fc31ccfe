using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EventSourcing.Serialization;

namespace EventSourcing.Testing;

/// <summary>A counter moved by an amount.</summary>
public sealed record Incremented(int By);

/// <summary>A free-text note, to carry arbitrary payloads.</summary>
public sealed record Noted(string Text);

/// <summary>An older shape of <see cref="Incremented"/>, stored as "incremented.v1" by an earlier release.</summary>
public sealed record LegacyIncremented(int Amount);

/// <summary>A type no test registers.</summary>
public sealed record NeverRegistered(int Value);

/// <summary>The snapshot of <see cref="Counter"/>.</summary>
public sealed record CounterSnapshot(int Total, int Count, string? LastNote);

/// <summary>Source-generated JSON metadata for the suite's types, so every backend serializes them without reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Incremented))]
[JsonSerializable(typeof(Noted))]
[JsonSerializable(typeof(LegacyIncremented))]
[JsonSerializable(typeof(NeverRegistered))]
[JsonSerializable(typeof(CounterSnapshot))]
public sealed partial class ConformanceJsonContext : JsonSerializerContext;

/// <summary>Helpers shared by the suites.</summary>
public static class TestData
{
    /// <summary>
    /// A registry with the suite's event types registered (the shape tests' too: stores may share one
    /// global log between tests, and every test must be able to read all of it).
    /// </summary>
    public static EventTypeRegistry NewRegistry() =>
        new EventTypeRegistry(new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = JsonTypeInfoResolver.Combine(ConformanceJsonContext.Default, ShapeJsonContext.Default) })
            .Register<Incremented>("incremented")
            .Register<Noted>("noted")
            .Register<LegacyIncremented>("incremented.v1")
            .Register<Tagged>("tagged")
            .Register<Exploding>("exploding")
            .Register<Node>("node")
            .AddUpcaster<LegacyIncremented, Incremented>(old => new Incremented(old.Amount));

    /// <summary>A stream id no other test uses.</summary>
    public static StreamId NewStream(string prefix = "conf") => new($"{prefix}-{Guid.NewGuid():N}");

    /// <summary>Events to append.</summary>
    public static EventData[] Increments(int count, int start = 1)
    {
        var events = new EventData[count];
        for (var i = 0; i < count; i++)
        {
            events[i] = new EventData(new Incremented(start + i));
        }

        return events;
    }
}

/// <summary>A clock tests set by hand. Whole seconds keep it exact on stores with microsecond precision.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    /// <summary>A clock at 2026-01-01T00:00:00Z.</summary>
    public ManualTimeProvider()
        : this(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _now;

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by) => _now += by;
}
