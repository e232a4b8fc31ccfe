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
        var a = GlobalPosition.FromParts(5, 100);
        var b = GlobalPosition.FromParts(6, 1);
        var c = GlobalPosition.FromParts(6, 2);
        Assert.True(GlobalPosition.Start < a);
        Assert.True(a < b && b < c);
        Assert.True(c >= b && b <= c);
        Assert.Equal([GlobalPosition.Start, a, b, c], new[] { c, a, GlobalPosition.Start, b }.Order());
    }

    [Fact]
    public void Global_positions_have_a_stable_string_form_that_sorts_like_them_and_parses_back()
    {
        var positions = new[] { GlobalPosition.Start, GlobalPosition.FromParts(5, 100), GlobalPosition.FromParts(5, 101), GlobalPosition.FromParts(6, 1), GlobalPosition.FromParts(ulong.MaxValue, long.MaxValue) };
        Assert.Equal("00000000000000000000000000000000", GlobalPosition.Start.ToString());
        Assert.Equal("00000000000000050000000000000064", positions[1].ToString());
        Assert.Equal(positions.Select(p => p.ToString()), positions.Select(p => p.ToString()).Order(StringComparer.Ordinal));
        foreach (var position in positions)
        {
            Assert.Equal(position, GlobalPosition.Parse(position.ToString()));
            Assert.Equal(position.ToParts(), GlobalPosition.Parse(position.ToString()).ToParts());
        }

        Assert.True(GlobalPosition.Start.IsStart);
        Assert.False(positions[1].IsStart);
        Assert.Throws<FormatException>(() => GlobalPosition.Parse("5/100"));
        Assert.Throws<FormatException>(() => GlobalPosition.Parse("0000000000000005ffffffffffffffff"));
        Assert.False(GlobalPosition.TryParse(null, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => GlobalPosition.FromParts(1, -1));
    }

    [Fact]
    public void Default_expected_version_is_not_an_expectation_and_stores_refuse_it()
    {
        Assert.True(default(ExpectedVersion).IsDefault);
        Assert.False(ExpectedVersion.NoStream.IsDefault);
        Assert.NotEqual(ExpectedVersion.NoStream, default);
        Assert.Equal("(default)", default(ExpectedVersion).ToString());
        Assert.Throws<ArgumentException>(() => EventSourcing.Storage.AppendGuard.Validate((StreamId)"s", default, [new EventData(new object())]));
    }

    [Fact]
    public void Stream_ids_keep_their_value_and_default_is_detectable()
    {
        var id = (StreamId)"account-42";
        Assert.Equal("account-42", id.Value);
        Assert.Throws<ArgumentException>(() => (StreamId)" ");
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

    [Fact]
    public void The_in_memory_stores_copy_of_metadata_is_what_its_serialized_form_reads_back_as()
    {
        var many = Enumerable.Range(0, SmallHeaders.MaxCount + 2).ToDictionary(i => "h" + i, i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        EventMetadata[] cases =
        [
            EventMetadata.Empty,
            new() { CorrelationId = "c" },
            new() { CausationId = "k", Headers = new Dictionary<string, string> { ["user"] = "zoë", ["empty"] = null! } },
            new() { Headers = new Dictionary<string, string> { ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } },
            new() { Headers = many },
        ];
        using var source = new System.Diagnostics.ActivitySource("ModelTests.Metadata");
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        foreach (var traced in new[] { false, true })
        {
            using var activity = traced ? source.StartActivity("append") : null;
            foreach (var metadata in cases)
            {
                var json = MetadataJson.Serialize(metadata);
                var expected = json is null ? EventMetadata.Empty : MetadataJson.Deserialize(json);
                var stored = MetadataJson.Stored(metadata);
                Assert.Equal(expected, stored);
                Assert.Equal(expected.Headers.ToList(), stored.Headers.ToList()); // same order too
                Assert.False(stored.Headers is IDictionary<string, string> { IsReadOnly: false });
                Assert.Equal(traced && !metadata.Headers.ContainsKey("traceparent") ? activity!.Id : metadata.Headers.GetValueOrDefault("traceparent"), stored.Headers.GetValueOrDefault("traceparent"));
            }
        }

        Assert.Throws<ArgumentException>(() => MetadataJson.Stored(new EventMetadata { CorrelationId = "\ud800" }));
    }

    [Fact]
    public void Stored_metadata_reads_back_with_its_headers_in_order_the_last_of_a_repeated_name_and_the_last_headers_object()
    {
        static List<KeyValuePair<string, string>> Headers(string json) => [.. MetadataJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(json)).Headers];

        Assert.Equal([new("traceparent", "00-x-y-01")], Headers("""{"headers":{"traceparent":"00-x-y-01"}}"""));
        Assert.Equal([new("a", "3"), new("b", "2")], Headers("""{"headers":{"a":"1","b":"2","a":"3"}}"""));
        Assert.Equal([new("b", "2")], Headers("""{"headers":{"a":"1"},"correlationId":"c","headers":{"b":"2"}}"""));
        Assert.Equal([new("a", string.Empty)], Headers("""{"headers":{"a":null}}"""));
        Assert.Empty(Headers("""{"headers":{}}"""));
        Assert.Empty(Headers("""{"correlationId":"c"}"""));

        // Up to 8 kept small, more in a dictionary: the same headers, in order, either way (a repeat too).
        foreach (var n in new[] { SmallHeaders.MaxCount, SmallHeaders.MaxCount + 1, 20 })
        {
            var expected = Enumerable.Range(0, n).Select(i => new KeyValuePair<string, string>("h" + i, "v" + i)).ToList();
            var json = "{\"headers\":{" + string.Join(",", expected.Select(h => $"\"{h.Key}\":\"x\"").Concat(expected.Select(h => $"\"{h.Key}\":\"{h.Value}\""))) + "}}";
            var metadata = MetadataJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(json));
            Assert.Equal(expected, metadata.Headers.ToList());
            Assert.Equal("v0", metadata.Headers["h0"]);
            Assert.False(metadata.Headers is IDictionary<string, string> { IsReadOnly: false });
        }

        // Malformed metadata fails as before (the readers turn these into EventDeserializationException), and leaves nothing behind.
        Assert.Throws<InvalidOperationException>(() => MetadataJson.Deserialize("""{"headers":{"a":"1","b":2}}"""u8));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => MetadataJson.Deserialize("""{"headers":["a"]}"""u8));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => MetadataJson.Deserialize("""{"headers":{"a":"1","""u8));
        Assert.Equal([new("c", "3")], Headers("""{"headers":{"c":"3"}}"""));
    }

    [Fact]
    public void Reading_a_trace_header_allocates_the_metadata_its_value_and_one_small_array()
    {
        var json = """{"headers":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}"""u8.ToArray();
        MetadataJson.Deserialize(json);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            MetadataJson.Deserialize(json);
        }

        var perRead = (GC.GetAllocatedBytesForCurrentThread() - before) / 100;
        Assert.True(perRead <= 300, $"{perRead} bytes per read"); // 480 with a dictionary, its wrapper and the name
    }
}
