using EventSourcing.Aggregates;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>The check every backend's tests run on stores added side by side with <c>AddKeyedEventSourcing</c>.</summary>
public static class KeyedStoreChecks
{
    /// <summary>
    /// An append through the keyed repository of <paramref name="first"/> is seen there and nowhere else (not in
    /// <paramref name="second"/>, not in the default store when there is one), and the other way round.
    /// </summary>
    /// <param name="provider">The container with both keyed stores (and maybe the default one).</param>
    /// <param name="first">The first store's key.</param>
    /// <param name="second">The second store's key.</param>
    /// <returns>The stream the check wrote to (one new stream, a <see cref="Counter"/>).</returns>
    public static async Task<StreamId> AssertIndependentAsync(IServiceProvider provider, object first, object second)
    {
        var ct = TestContext.Current.CancellationToken;
        var stream = new StreamId("counter-keyed-" + Guid.NewGuid().ToString("N"));
        var inFirst = provider.GetRequiredKeyedService<AggregateRepository<Counter>>(first);
        var inSecond = provider.GetRequiredKeyedService<AggregateRepository<Counter>>(second);
        var inDefault = provider.GetService<AggregateRepository<Counter>>();

        await inFirst.ExecuteAsync(stream, c => c.Increment(5), cancellationToken: ct);

        Assert.Equal(5, (await inFirst.LoadAsync(stream, ct)).Total);
        Assert.Equal(0, (await inSecond.LoadAsync(stream, ct)).Version);
        Assert.Equal(0, await provider.GetRequiredKeyedService<IEventStore>(second).GetStreamVersionAsync(stream, ct));
        if (inDefault is not null)
        {
            Assert.Equal(0, (await inDefault.LoadAsync(stream, ct)).Version);
        }

        await inSecond.ExecuteAsync(stream, c => { c.Increment(1); c.Increment(2); }, cancellationToken: ct);
        if (inDefault is not null)
        {
            await inDefault.ExecuteAsync(stream, c => c.Increment(7), cancellationToken: ct);
            Assert.Equal(7, (await provider.GetRequiredService<AggregateRepository<Counter>>().LoadAsync(stream, ct)).Total);
        }

        Assert.Equal(5, (await inFirst.LoadAsync(stream, ct)).Total);
        Assert.Equal(3, (await inSecond.LoadAsync(stream, ct)).Total);
        Assert.Equal(1, await provider.GetRequiredKeyedService<IEventStore>(first).GetStreamVersionAsync(stream, ct));
        Assert.Equal(2, await provider.GetRequiredKeyedService<IEventStore>(second).GetStreamVersionAsync(stream, ct));
        Assert.NotSame(provider.GetRequiredKeyedService<IEventStore>(first), provider.GetRequiredKeyedService<IEventStore>(second));
        return stream;
    }
}
