using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EventSourcing.Projections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventSourcing.Testing;

/// <summary>
/// A container built by a backend's test class, started as a host starts it (every hosted service in
/// registration order: the schema first, the projection daemon last) and stopped and disposed after the test.
/// </summary>
internal sealed class KitHost : IAsyncDisposable
{
    private readonly List<IHostedService> _started = [];

    private KitHost(IServiceProvider services) => Services = services;

    public IServiceProvider Services { get; }

    public EventSourcing.Storage.IEventStore Events => Services.GetRequiredService<EventSourcing.Storage.IEventStore>();

    public EventSourcing.Documents.DocumentReader Documents => Services.GetRequiredService<EventSourcing.Documents.DocumentReader>();

    public ProjectionDaemon Daemon => Services.GetRequiredService<ProjectionDaemon>();

    /// <summary>The kit's event types and fast projection options, for every container the kit builds.</summary>
    public static Action<EventSourcingBuilder> With(Action<EventSourcingBuilder> configure) => es =>
    {
        es.UseJsonOptions(new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = JsonTypeInfoResolver.Combine(ConformanceJsonContext.Default, KitDocumentsJsonContext.Default) });
        es.AddEvent<Incremented>("incremented").AddEvent<Noted>("noted").AddEvent<LegacyIncremented>("incremented.v1");
        es.Events.AddUpcaster<LegacyIncremented, Incremented>(old => new Incremented(old.Amount));
        es.ProjectionOptions.BatchSize = 10;
        es.ProjectionOptions.PollInterval = TimeSpan.FromMilliseconds(50);
        es.ProjectionOptions.RetryBackoff = TimeSpan.FromMilliseconds(5);
        es.ProjectionOptions.MaxRetries = 1;
        es.ProjectionOptions.StoreErrorBackoff = TimeSpan.FromMilliseconds(50);
        configure(es);
    };

    /// <summary>Resolves and starts every hosted service; on a failure, stops what started and disposes the container.</summary>
    public static async Task<KitHost> StartAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var host = new KitHost(services);
        try
        {
            _ = host.Events;
            foreach (var service in services.GetServices<IHostedService>())
            {
                await service.StartAsync(cancellationToken);
                host._started.Add(service);
            }

            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].StopAsync(CancellationToken.None);
        }

        switch (Services)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}

/// <summary>A counter's document: the total of its <see cref="Incremented"/> events and how many there were.</summary>
internal sealed class CounterDocument
{
    public string? Stream { get; set; }

    public long Total { get; set; }

    public int Count { get; set; }
}

/// <summary>How often a note's text was written, across streams.</summary>
internal class NoteCount
{
    public int Count { get; set; }

    public List<string> Streams { get; set; } = [];
}

/// <summary>The same document, of the inline variant of the view.</summary>
internal sealed class InlineNoteCount : NoteCount;

/// <summary>Source-generated JSON metadata of the kit's documents.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CounterDocument))]
[JsonSerializable(typeof(NoteCount))]
[JsonSerializable(typeof(InlineNoteCount))]
internal sealed partial class KitDocumentsJsonContext : JsonSerializerContext;
