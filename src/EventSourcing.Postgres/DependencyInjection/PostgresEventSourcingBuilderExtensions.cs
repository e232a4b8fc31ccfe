using EventSourcing.Documents;
using EventSourcing.Postgres;
using EventSourcing.Postgres.Internal;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the PostgreSQL backend to <c>AddEventSourcing</c>.</summary>
public static class PostgresEventSourcingBuilderExtensions
{
    /// <summary>
    /// Stores events, snapshots and checkpoints in PostgreSQL instead of memory. Registers
    /// <see cref="PostgresEventStore"/>, <see cref="PostgresSnapshotStore"/>,
    /// <see cref="PostgresCheckpointStore"/>, <see cref="PostgresProjectionStore"/> and
    /// <see cref="PostgresSchemaInitializer"/> as singletons on
    /// one data source (yours, or one built from the connection string and disposed with the container),
    /// and a hosted service that validates the options and applies or verifies the schema at start.
    /// Inline projections registered on the builder run inside each append's transaction; async ones
    /// run in the projection daemon on the Postgres projection store, woken after local commits and —
    /// with <see cref="PostgresOptions.EnableNotifications"/> (the default) — by a hosted service that
    /// sends one coalesced NOTIFY after local commits and listens for other processes' (started right
    /// after the schema service, before the daemon). Polling stays the fallback.
    /// </summary>
    /// <param name="builder">The EventSourcing builder.</param>
    /// <param name="configure">Sets the connection and the schema options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static EventSourcingBuilder UsePostgres(this EventSourcingBuilder builder, Action<PostgresOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PostgresOptions();
        configure(options);

        var services = builder.Services;
        services.RemoveAll<PostgresOptions>();
        services.AddSingleton(options);
        services.RemoveAll<PostgresDataSourceProvider>();
        services.AddSingleton(sp => new PostgresDataSourceProvider(sp.GetRequiredService<PostgresOptions>()));

        // One backend (data source, checked options, the schema's statements) for every store and the initializer.
        services.RemoveAll<PostgresBackend>();
        services.AddSingleton(sp => new PostgresBackend(sp.GetRequiredService<PostgresDataSourceProvider>().DataSource, sp.GetRequiredService<PostgresOptions>()));

        services.RemoveAll<PostgresEventStore>();
        services.AddSingleton(sp => new PostgresEventStore(
            sp.GetRequiredService<PostgresBackend>(),
            sp.GetRequiredService<EventTypeRegistry>(),
            sp.GetService<TimeProvider>(),
            sp.GetInlineProjections(),
            sp.GetService<CommitNotifier>()));
        services.RemoveAll<PostgresSnapshotStore>();
        services.AddSingleton(sp => new PostgresSnapshotStore(sp.GetRequiredService<PostgresBackend>()));
        services.RemoveAll<PostgresCheckpointStore>();
        services.AddSingleton(sp => new PostgresCheckpointStore(sp.GetRequiredService<PostgresBackend>()));
        services.RemoveAll<PostgresProjectionStore>();
        services.AddSingleton(sp => new PostgresProjectionStore(sp.GetRequiredService<PostgresBackend>(), sp.GetRequiredService<EventTypeRegistry>(), sp.GetService<TimeProvider>()));
        services.RemoveAll<PostgresSchemaInitializer>();
        services.AddSingleton(sp => new PostgresSchemaInitializer(sp.GetRequiredService<PostgresBackend>()));

        // Replace the in-memory defaults whether this runs inside the AddEventSourcing callback or after it.
        services.Replace(ServiceDescriptor.Singleton<IEventStore>(sp => sp.GetRequiredService<PostgresEventStore>()));
        services.Replace(ServiceDescriptor.Singleton<ISnapshotStore>(sp => sp.GetRequiredService<PostgresSnapshotStore>()));
        services.Replace(ServiceDescriptor.Singleton<ICheckpointStore>(sp => sp.GetRequiredService<PostgresCheckpointStore>()));
        services.Replace(ServiceDescriptor.Singleton<IProjectionStore>(sp => sp.GetRequiredService<PostgresProjectionStore>()));
        services.Replace(ServiceDescriptor.Singleton<IDocumentStore>(sp => new PostgresDocuments(sp.GetRequiredService<PostgresBackend>())));
        builder.UseProjectionContext<PostgresProjectionContext>();

        // First among the hosted services, so the schema is there before the projection daemon starts.
        if (!services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(PostgresSchemaHostedService)))
        {
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, PostgresSchemaHostedService>());
        }

        // Right after it (and so before the daemon): tell other processes about commits, hear theirs.
        var notifications = services.FirstOrDefault(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(PostgresNotificationService));
        if (notifications is not null)
        {
            services.Remove(notifications);
        }

        if (options.EnableNotifications)
        {
            var schema = services.IndexOf(services.First(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(PostgresSchemaHostedService)));
            services.Insert(schema + 1, ServiceDescriptor.Singleton<IHostedService, PostgresNotificationService>());
        }

        return builder;
    }
}
