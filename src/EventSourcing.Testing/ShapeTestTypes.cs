using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventSourcing.Testing;

/// <summary>An event with mutable collections, to show that stores hand out fresh objects.</summary>
public sealed record Tagged(List<string> Tags, Dictionary<string, string> Labels);

/// <summary>An event whose getter throws: it cannot be serialized.</summary>
public sealed class Exploding
{
    /// <summary>Throws <see cref="GetterFailedException"/>.</summary>
    public int Value => throw new GetterFailedException();
}

/// <summary>Thrown by <see cref="Exploding.Value"/>.</summary>
public sealed class GetterFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public GetterFailedException()
        : base("The getter failed.")
    {
    }
}

/// <summary>A linked node: a cycle, or a chain deeper than the serializer allows.</summary>
public sealed class Node
{
    /// <summary>The node's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The next node.</summary>
    public Node? Next { get; set; }
}

/// <summary>Source-generated metadata for the shape tests' events.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Tagged))]
[JsonSerializable(typeof(Exploding))]
[JsonSerializable(typeof(Node))]
public sealed partial class ShapeJsonContext : JsonSerializerContext;

/// <summary>A clock a test sets to any instant, backwards included.</summary>
public sealed class SettableTimeProvider(DateTimeOffset now) : TimeProvider
{
    /// <summary>The time the clock reports.</summary>
    public DateTimeOffset Now { get; set; } = now;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => Now;
}
