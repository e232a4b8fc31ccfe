using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The container of one keyed store (<see cref="EventSourcingServiceCollectionExtensions.AddKeyedEventSourcing"/>):
/// its own registrations plus, as the same instances (never disposed here), the application's logger factory,
/// clock, configuration, host environment and the services its backend asked for. Built on first use; disposed
/// with the application's container, which owns this singleton.
/// </summary>
internal sealed class KeyedEventSourcingContainer : IAsyncDisposable, IDisposable
{
    private readonly Lazy<ServiceProvider> _services;

    public KeyedEventSourcingContainer(IServiceCollection own, IReadOnlyList<(Type Type, object? Key)> shared, IServiceProvider application)
    {
        _services = new(() =>
        {
            IServiceCollection services = new ServiceCollection();
            foreach (var descriptor in own)
            {
                services.Add(descriptor);
            }

            if (application.GetService<ILoggerFactory>() is { } loggers)
            {
                services.AddSingleton(loggers);
                services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
            }

            // Added after the store's own TryAdd(TimeProvider.System), so the application's clock wins.
            ShareIfPresent<TimeProvider>(services, application);
            ShareIfPresent<IConfiguration>(services, application);
            ShareIfPresent<IHostEnvironment>(services, application);
            foreach (var (type, key) in shared)
            {
                services.Add(key is null
                    ? ServiceDescriptor.Singleton(type, application.GetRequiredService(type))
                    : ServiceDescriptor.KeyedSingleton(type, key, application.GetRequiredKeyedService(type, key)));
            }

            return services.BuildServiceProvider();
        });
    }

    /// <summary>The store's container.</summary>
    public IServiceProvider Services => _services.Value;

    public ValueTask DisposeAsync() => _services.IsValueCreated ? _services.Value.DisposeAsync() : ValueTask.CompletedTask;

    public void Dispose()
    {
        if (_services.IsValueCreated)
        {
            _services.Value.Dispose();
        }
    }

    private static void ShareIfPresent<T>(IServiceCollection services, IServiceProvider application)
        where T : class
    {
        if (application.GetService<T>() is { } service)
        {
            services.AddSingleton(service);
        }
    }
}
