using EventSourcing.Serialization;
using Xunit;

namespace EventSourcing.Core.Tests;

public sealed class ModelTests
{
    [Fact]
    public void Expected_versions_have_distinct_sentinels_and_exact_values()
    {
        Assert.Equal(-1, ExpectedVersion.Any.Value);
        Assert.Equal(0, ExpectedVersion.NoStream.Value);
        Assert.Equal(-2, ExpectedVersion.StreamExists.Value);
        Assert.Equal(ExpectedVersion.NoStream, ExpectedVersion.Exactly(0));
        Assert.Equal(5, ExpectedVersion.Exactly(5).Value);
        Assert.True(ExpectedVersion.Exactly(5).IsExact);
        Assert.False(ExpectedVersion.Any.IsExact);
        Assert.Throws<ArgumentOutOfRangeException>(() => ExpectedVersion.Exactly(-1));
        Assert.Equal("StreamExists", ExpectedVersion.StreamExists.ToString());
    }

    [Fact]
    public void Global_positions_order_by_transaction_then_sequence()
    {
        var a = new GlobalPosition(5, 100);
        var b = new GlobalPosition(6, 1);
        var c = new GlobalPosition(6, 2);
        Assert.True(GlobalPosition.Start < a);
        Assert.True(a < b && b < c);
        Assert.True(c >= b && b <= c);
        Assert.Equal([GlobalPosition.Start, a, b, c], new[] { c, a, GlobalPosition.Start, b }.Order());
    }

    [Fact]
    public void Stream_ids_keep_their_value_and_default_is_detectable()
    {
        StreamId id = "account-42";
        Assert.Equal("account-42", id.Value);
        Assert.Equal(new StreamId("account-42"), id);
        Assert.True(default(StreamId).IsDefault);
        Assert.Throws<InvalidOperationException>(() => default(StreamId).Value);
        Assert.Equal(StreamId.MaxLength, new StreamId(new string('x', StreamId.MaxLength)).Value.Length);
    }

    [Fact]
    public void Event_data_gets_a_uuid_v7_unless_given_one()
    {
        var generated = new EventData(new object());
        Assert.Equal(7, generated.EventId.Version);
        var given = Guid.NewGuid();
        Assert.Equal(given, new EventData(new object(), eventId: given).EventId);
        Assert.Throws<ArgumentException>(() => new EventData(new object(), eventId: Guid.Empty));
        Assert.Same(EventMetadata.Empty, generated.Metadata);
    }

    [Fact]
    public void Metadata_round_trips_through_json_and_empty_metadata_stores_nothing()
    {
        var metadata = new EventMetadata
        {
            CorrelationId = "c\"1",
            CausationId = "k",
            Headers = new Dictionary<string, string> { ["user"] = "zoë", ["ip"] = "127.0.0.1" },
        };
        var json = MetadataJson.Serialize(metadata)!;
        Assert.Equal(metadata, MetadataJson.Deserialize(json));
        Assert.Null(MetadataJson.Serialize(EventMetadata.Empty));
        Assert.Same(EventMetadata.Empty, MetadataJson.Deserialize([]));
        Assert.Equal("x", MetadataJson.Deserialize("{\"future\":{\"a\":[1]},\"correlationId\":\"x\"}"u8).CorrelationId);
    }
}
