using BankAccount.Domain;
using BankAccount.Domain.Events;
using EventSourcing;
using EventSourcing.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace BankAccount.Api.Tests;

/// <summary>
/// Wraps the API's event store so a test can make another writer win every race on one account: before
/// each append to an armed account's stream, a deposit of 1 (in the account's currency, EUR) is really
/// appended first, so the command's own append fails its expected version, however often it is retried.
/// </summary>
internal sealed class ConflictingEventStore(IEventStore inner) : IEventStore
{
    private readonly HashSet<StreamId> _armed = [];
    private readonly Lock _gate = new();

    /// <summary>From now on, another writer changes the account just before each of its appends.</summary>
    public void ConflictOnEveryAppend(string accountId)
    {
        lock (_gate)
        {
            _armed.Add(Account.StreamFor(accountId));
        }
    }

    public async ValueTask<AppendResult> AppendAsync(StreamId streamId, ExpectedVersion expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default)
    {
        bool armed;
        lock (_gate)
        {
            armed = _armed.Contains(streamId);
        }

        if (armed)
        {
            await inner.AppendAsync(streamId, ExpectedVersion.Any, [new EventData(new MoneyDeposited(1m, "EUR"))], cancellationToken);
        }

        return await inner.AppendAsync(streamId, expectedVersion, events, cancellationToken);
    }

    public IAsyncEnumerable<EventEnvelope> ReadStreamAsync(StreamId streamId, long fromVersion = 1, long maxCount = long.MaxValue, CancellationToken cancellationToken = default) =>
        inner.ReadStreamAsync(streamId, fromVersion, maxCount, cancellationToken);

    public IAsyncEnumerable<EventEnvelope> ReadStreamBackwardsAsync(StreamId streamId, long fromVersion = long.MaxValue, long maxCount = long.MaxValue, CancellationToken cancellationToken = default) =>
        inner.ReadStreamBackwardsAsync(streamId, fromVersion, maxCount, cancellationToken);

    public IAsyncEnumerable<EventEnvelope> ReadAllAsync(GlobalPosition after, long maxCount = long.MaxValue, IReadOnlyCollection<string>? eventTypes = null, CancellationToken cancellationToken = default) =>
        inner.ReadAllAsync(after, maxCount, eventTypes, cancellationToken);

    public ValueTask<GlobalPosition> GetHeadPositionAsync(CancellationToken cancellationToken = default) => inner.GetHeadPositionAsync(cancellationToken);

    public ValueTask<EventEnvelope?> ReadEventAsync(StreamId streamId, Guid eventId, CancellationToken cancellationToken = default) =>
        inner.ReadEventAsync(streamId, eventId, cancellationToken);

    public ValueTask<long> GetStreamVersionAsync(StreamId streamId, CancellationToken cancellationToken = default) =>
        inner.GetStreamVersionAsync(streamId, cancellationToken);

    /// <summary>Puts the wrapper around whatever event store the API registered.</summary>
    public static void Install(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var original = services.Last(d => d.ServiceType == typeof(IEventStore));
        services.Remove(original);
        services.AddSingleton(sp => new ConflictingEventStore((IEventStore?)original.ImplementationInstance
            ?? (IEventStore?)original.ImplementationFactory?.Invoke(sp)
            ?? (IEventStore)ActivatorUtilities.CreateInstance(sp, original.ImplementationType!)));
        services.AddSingleton<IEventStore>(sp => sp.GetRequiredService<ConflictingEventStore>());
    }
}
