using EventSourcing.Testing;
using EventSourcing.Projections;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// One application "process" as the tests need several: its own service provider (so its own data
/// source, commit notifier, notification service and projection daemon) on a shared schema, with the
/// hosted services started in registration order and stopped in reverse, as a host does.
/// </summary>
internal sealed class TestProcess : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly IHostedService[] _hosted;
    private bool _stopped;

    private TestProcess(ServiceProvider provider, string applicationName)
    {
        _provider = provider;
        _hosted = [.. provider.GetServices<IHostedService>()];
        ApplicationName = applicationName;
    }

    /// <summary>The application name its connections carry (find them in <c>pg_stat_activity</c>).</summary>
    public string ApplicationName { get; }

    public IEventStore Store => _provider.GetRequiredService<IEventStore>();

    public ProjectionDaemon Daemon => _provider.GetRequiredService<ProjectionDaemon>();

    public IServiceProvider Services => _provider;

    /// <summary>Builds and starts a process on <paramref name="schema"/>.</summary>
    /// <param name="connectionString">The database.</param>
    /// <param name="schema">The (shared) schema.</param>
    /// <param name="asyncProjection">An async projection to run, or none.</param>
    /// <param name="projectionOptions">Changes to the daemon's options (e.g. a long poll interval).</param>
    /// <param name="postgres">Changes to the backend's options.</param>
    public static async Task<TestProcess> StartAsync(string connectionString, string schema, IProjection? asyncProjection = null, Action<ProjectionOptions>? projectionOptions = null, Action<PostgresOptions>? postgres = null)
    {
        var applicationName = "es-process-" + Guid.NewGuid().ToString("N")[..8];
        var services = new ServiceCollection();
        services.AddEventSourcing(es =>
        {
            es.UseJsonOptions(ConformanceJsonContext.Default.Options)
                .AddEvent<Incremented>("incremented")
                .AddEvent<Noted>("noted");
            if (asyncProjection is not null)
            {
                es.AddProjection(asyncProjection, ProjectionMode.Async);
            }

            es.UsePostgres(pg =>
            {
                pg.ConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName }.ConnectionString;
                pg.Schema = schema;
                postgres?.Invoke(pg);
            });
        });
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(TestOutputLogger<>));
        var provider = services.BuildServiceProvider();
        projectionOptions?.Invoke(provider.GetRequiredService<ProjectionOptions>());
        var process = new TestProcess(provider, applicationName);
        try
        {
            foreach (var service in process._hosted)
            {
                await service.StartAsync(TestSupport.Ct);
            }
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return process;
    }

    /// <summary>Stops the hosted services (the daemon first), as a host shutting down does.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        foreach (var service in _hosted.Reverse())
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _provider.DisposeAsync();
    }
}
