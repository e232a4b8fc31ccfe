using EventSourcing.Serialization;
using EventSourcing.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Says at host start, at Information, what EventSourcing runs on: the event store, the snapshot store, how many
/// event types (already checked by <see cref="EventTypeRegistry.ValidateSerialization"/> when the registry was
/// handed out) and which JSON resolver. Event ids 1000–1099 are EventSourcing.Core's and never reused.
/// </summary>
internal sealed partial class EventSourcingStartupLog(IEventStore store, ISnapshotStore snapshots, EventTypeRegistry registry, ILogger<EventSourcingStartupLog>? logger = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var log = (ILogger?)logger ?? NullLogger.Instance;
        LogStarted(log, store.GetType().Name, snapshots.GetType().Name, registry.RegisteredTypeCount, registry.JsonOptions.TypeInfoResolver?.GetType().Name ?? "none");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1000, EventName = "Started", Level = LogLevel.Information, Message = "EventSourcing started: event store {EventStore}, snapshot store {SnapshotStore}, {EventTypes} event type(s) checked against the JSON options (resolver {Resolver}).")]
    private static partial void LogStarted(ILogger logger, string eventStore, string snapshotStore, int eventTypes, string resolver);
}
