using EventSourcing.Aggregates;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using EventSourcing.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EventSourcing.Core.Tests;

/// <summary>Stores side by side: <c>AddKeyedEventSourcing</c> next to each other and next to the default store.</summary>
public sealed class KeyedEventSourcingTests
{
    [Fact]
    public async Task Two_keyed_in_memory_stores_and_the_default_one_are_independent()
    {
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented"));
        services.AddKeyedEventSourcing("a", es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented").AddEvent<Noted>("noted").UseSnapshots(SnapshotPolicy.Every(1)));
        services.AddKeyedEventSourcing("b", es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented").AddEvent<Noted>("noted"));
        await using var provider = services.BuildServiceProvider();

        var stream = await KeyedStoreChecks.AssertIndependentAsync(provider, "a", "b");

        // Each key has its own registry, options and snapshot store; the default store's registry is not theirs.
        Assert.Equal("noted", provider.GetRequiredKeyedService<EventTypeRegistry>("a").GetName(typeof(Noted)));
        Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<EventTypeRegistry>().GetName(typeof(Noted)));
        Assert.NotSame(provider.GetRequiredKeyedService<ISnapshotStore>("a"), provider.GetRequiredKeyedService<ISnapshotStore>("b"));
        Assert.Equal(1, (await provider.GetRequiredKeyedService<ISnapshotStore>("a").LoadAsync(stream, TestContext.Current.CancellationToken))!.Version);
        Assert.Null(await provider.GetRequiredKeyedService<ISnapshotStore>("b").LoadAsync(stream, TestContext.Current.CancellationToken));
        Assert.Null(await provider.GetRequiredService<ISnapshotStore>().LoadAsync(stream, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_keyed_store_uses_the_application_clock_and_checks_its_event_types_on_first_use()
    {
        var clock = new FixedClock();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddKeyedEventSourcing("audit", es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented"));
        services.AddKeyedEventSourcing("broken", es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<StartupValidationTests.MissingFromContext>("missing"));
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredKeyedService<IEventStore>("audit");
        await store.AppendAsync(new StreamId("clocked"), ExpectedVersion.NoStream, [new EventData(new Incremented(1))], TestContext.Current.CancellationToken);
        var stored = await store.ReadStreamAsync(new StreamId("clocked"), cancellationToken: TestContext.Current.CancellationToken).SingleAsync(TestContext.Current.CancellationToken);
        Assert.Equal(clock.GetUtcNow(), stored.Timestamp);

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredKeyedService<IEventStore>("broken"));
        Assert.Contains("'missing'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_keyed_store_refuses_async_projections_and_subscriptions_at_registration()
    {
        var services = new ServiceCollection();

        var projection = Assert.Throws<NotSupportedException>(() => services.AddKeyedEventSourcing("audit", es => es.AddProjection(new DelegateProjection("totals", ["incremented"], (_, _) => ValueTask.CompletedTask), ProjectionMode.Async)));
        var subscription = Assert.Throws<NotSupportedException>(() => services.AddKeyedEventSourcing("audit2", es => es.AddSubscription("mailer", ["incremented"], (_, _) => ValueTask.CompletedTask)));

        Assert.Contains("'totals'", projection.Message, StringComparison.Ordinal);
        Assert.Contains("keyed stores (AddKeyedEventSourcing) do not run async projections or subscriptions yet", projection.Message, StringComparison.Ordinal);
        Assert.Contains("'mailer'", subscription.Message, StringComparison.Ordinal);
        Assert.Contains("'audit2'", subscription.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_is_added_once()
    {
        var services = new ServiceCollection();
        services.AddKeyedEventSourcing("audit");

        var error = Assert.Throws<InvalidOperationException>(() => services.AddKeyedEventSourcing("audit"));

        Assert.Contains("'audit'", error.Message, StringComparison.Ordinal);
    }

    private sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
    }
}
