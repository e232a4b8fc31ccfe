using EventSourcing.Testing;
using EventSourcing.InMemory;
using Xunit;

namespace EventSourcing.Core.Tests;

/// <summary>Which event objects the in-memory store may hand to every reader instead of reading them back each time.</summary>
public sealed class ImmutableTypesTests
{
    public sealed record Positional(int A, string B, decimal C, DateTimeOffset D, Guid E, DayOfWeek F, int? G);

    public sealed class InitOnly
    {
        public string Name { get; init; } = "";

        public Positional? Inner { get; init; }
    }

    public record Unsealed(int A);

    public sealed record HoldsUnsealed(Unsealed Inner);

    public sealed record Settable
    {
        public int A { get; set; }
    }

    public sealed record HoldsArray(int[] Values);

    public sealed record HoldsObject(object Value);

    public sealed class Recursive
    {
        public Recursive? Next { get; init; }

        public string Name { get; init; } = "";
    }

    public sealed record HoldsReadOnlyList(IReadOnlyList<int> Values);

    [Theory]
    [InlineData(typeof(Positional))]
    [InlineData(typeof(InitOnly))]
    [InlineData(typeof(Unsealed))] // the exact runtime type of an object: its own fields decide
    [InlineData(typeof(Recursive))]
    [InlineData(typeof(Incremented))]
    public void Types_whose_fields_are_all_readonly_and_immutable_are_shared(Type type) => Assert.True(ImmutableTypes.IsDeeplyImmutable(type));

    [Theory]
    [InlineData(typeof(Tagged))]
    [InlineData(typeof(Settable))]
    [InlineData(typeof(HoldsArray))]
    [InlineData(typeof(HoldsObject))]
    [InlineData(typeof(HoldsUnsealed))] // a subclass could add mutable state
    [InlineData(typeof(HoldsReadOnlyList))]
    [InlineData(typeof(Node))]
    public void Types_that_can_change_are_read_back_on_every_read(Type type) => Assert.False(ImmutableTypes.IsDeeplyImmutable(type));
}
