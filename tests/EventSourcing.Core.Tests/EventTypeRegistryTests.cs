using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EventSourcing.Serialization;
using Xunit;

namespace EventSourcing.Core.Tests;

public sealed record DepositedV1(decimal Amount);

public sealed record DepositedV2(decimal Amount, string Currency);

public sealed record DepositedV3(decimal Amount, string Currency, string Channel);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DepositedV1))]
[JsonSerializable(typeof(DepositedV2))]
[JsonSerializable(typeof(DepositedV3))]
public sealed partial class RegistryTestJson : JsonSerializerContext;

public sealed class EventTypeRegistryTests
{
    private static readonly StreamId Stream = new("acc-1");

    private static EventTypeRegistry Registry() => new(RegistryTestJson.Default.Options);

    private static object Read(EventTypeRegistry registry, string storedName, string json, out string name) =>
        registry.DeserializeEvent(storedName, Encoding.UTF8.GetBytes(json), Guid.CreateVersion7(), Stream, 1, out name);

    [Fact]
    public void Events_serialize_under_their_registered_name_and_read_back()
    {
        var registry = Registry().Register<DepositedV2>("deposited");
        var bytes = registry.SerializeEvent(new DepositedV2(10.5m, "EUR"), out var name);

        Assert.Equal("deposited", name);
        Assert.Equal("{\"amount\":10.5,\"currency\":\"EUR\"}", Encoding.UTF8.GetString(bytes));
        Assert.Equal(new DepositedV2(10.5m, "EUR"), registry.DeserializeEvent(name, bytes, Guid.NewGuid(), Stream, 1, out var readName));
        Assert.Equal("deposited", readName);
    }

    [Fact]
    public void Aliases_read_as_the_current_name()
    {
        var registry = Registry().Register<DepositedV2>("money-deposited", "MoneyDeposited", "deposit");
        Assert.Equal(new DepositedV2(1, "USD"), Read(registry, "deposit", "{\"amount\":1,\"currency\":\"USD\"}", out var name));
        Assert.Equal("money-deposited", name);
        Assert.Equal(["MoneyDeposited", "deposit", "money-deposited"], registry.GetStoredNames("money-deposited").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Typed_upcasters_chain_from_the_oldest_version()
    {
        var registry = Registry()
            .Register<DepositedV1>("deposited.v1")
            .Register<DepositedV2>("deposited.v2")
            .Register<DepositedV3>("deposited")
            .AddUpcaster<DepositedV1, DepositedV2>(v1 => new DepositedV2(v1.Amount, "EUR"))
            .AddUpcaster<DepositedV2, DepositedV3>(v2 => new DepositedV3(v2.Amount, v2.Currency, "branch"));

        Assert.Equal(new DepositedV3(5, "EUR", "branch"), Read(registry, "deposited.v1", "{\"amount\":5}", out var name));
        Assert.Equal("deposited", name);
        Assert.Equal(new DepositedV3(6, "GBP", "branch"), Read(registry, "deposited.v2", "{\"amount\":6,\"currency\":\"GBP\"}", out _));
        Assert.Equal(["deposited", "deposited.v1", "deposited.v2"], registry.GetStoredNames("deposited").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Json_upcasters_read_payloads_whose_type_is_gone()
    {
        var registry = Registry()
            .Register<DepositedV2>("deposited")
            .AddJsonUpcaster("cash-in", "deposited", old => new JsonObject { ["amount"] = old["value"]!.DeepClone(), ["currency"] = "CHF" });

        Assert.Equal(new DepositedV2(7.25m, "CHF"), Read(registry, "cash-in", "{\"value\":7.25}", out var name));
        Assert.Equal("deposited", name);
    }

    [Fact]
    public void An_unknown_stored_type_is_a_typed_error_naming_the_event()
    {
        var registry = Registry().Register<DepositedV2>("deposited");
        var id = Guid.CreateVersion7();
        var ex = Assert.Throws<UnknownEventTypeException>(() => registry.DeserializeEvent("mystery", "{}"u8, id, Stream, 4, out _));
        Assert.Equal("mystery", ex.TypeName);
        Assert.Equal(id, ex.EventId);
        Assert.Equal(4, ex.StreamVersion);
        Assert.Contains(id.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_payload_is_an_error_naming_event_stream_and_type()
    {
        var registry = Registry().Register<DepositedV2>("deposited");
        var id = Guid.CreateVersion7();
        var ex = Assert.Throws<EventDeserializationException>(() => registry.DeserializeEvent("deposited", "{\"amount\":\"x\""u8, id, Stream, 2, out _));
        Assert.Equal(id, ex.EventId);
        Assert.Equal(Stream, ex.StreamId);
        Assert.Equal("deposited", ex.TypeName);
        Assert.Contains(id.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_events_can_be_returned_for_reporting_instead_of_thrown()
    {
        var registry = Registry().Register<DepositedV2>("deposited");
        registry.UnreadableEvents = UnreadableEventPolicy.ReturnUnreadable;

        var unknown = Assert.IsType<UnreadableEvent>(Read(registry, "mystery", "{\"a\":1}", out var name));
        Assert.Equal("mystery", name);
        Assert.IsType<UnknownEventTypeException>(unknown.Error);
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(unknown.Payload.Span));
        var broken = Assert.IsType<UnreadableEvent>(Read(registry, "deposited", "[1,2", out _));
        Assert.IsType<EventDeserializationException>(broken.Error);
    }

    [Fact]
    public void Registration_errors_are_reported_at_startup()
    {
        var registry = Registry().Register<DepositedV2>("deposited");
        Assert.Throws<ArgumentException>(() => registry.Register<DepositedV3>("deposited"));
        Assert.Throws<ArgumentException>(() => registry.Register<DepositedV2>("other"));
        Assert.Throws<ArgumentException>(() => registry.Register<DepositedV1>(" "));
        Assert.Throws<ArgumentException>(() => registry.Register<DepositedV1>("tab\there"));
        Assert.Throws<ArgumentException>(() => registry.AddJsonUpcaster("old", "nowhere", o => o));
        Assert.Throws<ArgumentException>(() => registry.AddUpcaster<DepositedV1, DepositedV2>(v => new DepositedV2(v.Amount, "EUR")));
    }

    [Fact]
    public void The_registry_freezes_on_first_use()
    {
        var registry = Registry().Register<DepositedV2>("deposited");
        registry.SerializeEvent(new DepositedV2(1, "EUR"), out _);
        Assert.Throws<InvalidOperationException>(() => registry.Register<DepositedV3>("late"));
        Assert.Throws<InvalidOperationException>(() => registry.JsonOptions = new JsonSerializerOptions());
    }

    [Fact]
    public void Serializing_an_unregistered_type_names_it()
    {
        var ex = Assert.Throws<UnknownEventTypeException>(() => Registry().SerializeEvent(new DepositedV1(1), out _));
        Assert.Equal(typeof(DepositedV1), ex.ClrType);
    }

    [Fact]
    public void A_registry_without_json_options_serializes_with_web_defaults()
    {
        var registry = new EventTypeRegistry().Register<DepositedV2>("deposited");
        var bytes = registry.SerializeEvent(new DepositedV2(2.5m, "EUR"), out _);
        Assert.Equal("{\"amount\":2.5,\"currency\":\"EUR\"}", Encoding.UTF8.GetString(bytes));
        Assert.Equal(new DepositedV2(2.5m, "EUR"), registry.DeserializeEvent("deposited", bytes, Guid.NewGuid(), Stream, 1, out _));
    }

    [Fact]
    public void Stored_names_read_into_a_buffer_resolve_like_strings()
    {
        var registry = Registry().Register<DepositedV2>("deposited", "cash-in");
        var buffer = "xxcash-inxx".ToCharArray();
        var read = registry.DeserializeEvent(buffer.AsSpan(2, 7), "{\"amount\":3,\"currency\":\"EUR\"}"u8, Guid.NewGuid(), Stream, 1, out var name);
        Assert.Equal(new DepositedV2(3, "EUR"), read);
        Assert.Equal("deposited", name);
        var ex = Assert.Throws<UnknownEventTypeException>(() => registry.DeserializeEvent("nope".AsSpan(), "{}"u8, Guid.NewGuid(), Stream, 1, out _));
        Assert.Equal("nope", ex.TypeName);
        var bad = Assert.Throws<EventDeserializationException>(() => registry.DeserializeEvent("deposited".AsSpan(), "[1"u8, Guid.NewGuid(), Stream, 1, out _));
        Assert.Equal("deposited", bad.TypeName);
    }
}
