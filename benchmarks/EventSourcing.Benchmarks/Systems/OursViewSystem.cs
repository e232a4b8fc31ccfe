using EventSourcing.Benchmarks.Domain;
using EventSourcing.Benchmarks.Infrastructure;
using EventSourcing.Documents;
using EventSourcing.Projections;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventSourcing.Benchmarks.Systems;

/// <summary>
/// Our PostgreSQL store as an application configures it, with every library default: a container from
/// <c>AddEventSourcing</c> on one schema with <see cref="BalanceView"/> as an async projection (default
/// <see cref="ProjectionOptions"/>, the PostgreSQL backend's LISTEN/NOTIFY wake-up). The daemon is not
/// started unless <see cref="StartAsync"/> is called (a rebuild runs on demand without it).
/// </summary>
public sealed class OursViewSystem : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private List<IHostedService>? _started;

    private OursViewSystem(ServiceProvider services) => _services = services;

    /// <summary>The event store.</summary>
    public IEventStore Store => _services.GetRequiredService<IEventStore>();

    /// <summary>The projection daemon.</summary>
    public ProjectionDaemon Daemon => _services.GetRequiredService<ProjectionDaemon>();

    /// <summary>Reads the view's documents.</summary>
    public DocumentReader Documents => _services.GetRequiredService<DocumentReader>();

    /// <summary>Builds the container on a schema of our database (the schema is applied by the first call).</summary>
    /// <param name="schema">The schema.</param>
    /// <returns>The system.</returns>
    public static OursViewSystem Create(string schema)
    {
        var services = new ServiceCollection();
        services.AddSingleton(Databases.OursDataSource);
        services.AddEventSourcing(es => es
            .UseJsonOptions(BenchJsonContext.Default.Options)
            .AddEvent<AccountOpened>(EventFactory.OpenedName)
            .AddEvent<MoneyDeposited>(EventFactory.DepositedName)
            .AddEvent<MoneyWithdrawn>(EventFactory.WithdrawnName)
            .UseNpgsqlDataSource(pg => pg.Schema = schema)
            .AddProjection<BalanceView>(ProjectionMode.Async));
        return new OursViewSystem(services.BuildServiceProvider());
    }

    /// <summary>Starts the hosted services (schema, LISTEN/NOTIFY, the projection daemon), as a host would.</summary>
    /// <returns>A task.</returns>
    public async Task StartAsync()
    {
        _started = [.. _services.GetServices<IHostedService>()];
        foreach (var service in _started)
        {
            await service.StartAsync(CancellationToken.None);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_started is not null)
        {
            for (var i = _started.Count - 1; i >= 0; i--)
            {
                await _started[i].StopAsync(CancellationToken.None);
            }
        }

        await _services.DisposeAsync();
    }
}
