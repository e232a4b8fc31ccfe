using System.Globalization;
using EventSourcing.Documents;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Sqlite;
using EventSourcing.Sqlite.Internal;
using EventSourcing.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the SQLite backend to <c>AddEventSourcing</c>.</summary>
public static class SqliteEventSourcingBuilderExtensions
{
    /// <summary>
    /// Stores events, snapshots and checkpoints in one SQLite database file instead of memory. Registers
    /// <see cref="SqliteEventStore"/>, <see cref="SqliteSnapshotStore"/>, <see cref="SqliteCheckpointStore"/>,
    /// <see cref="SqliteProjectionStore"/> and <see cref="SqliteSchemaInitializer"/> as singletons on one
    /// database, and a hosted service that validates the options and applies the schema when the host
    /// starts (before the projection daemon). Inline projections registered on the builder run inside
    /// each append's transaction; async ones run in the projection daemon on the SQLite projection store,
    /// woken at once by this process's commits and by polling for other processes' commits.
    /// </summary>
    /// <param name="builder">The EventSourcing builder.</param>
    /// <param name="configure">Sets the database file and the busy timeout.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static EventSourcingBuilder UseSqlite(this EventSourcingBuilder builder, Action<SqliteOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return UseSqliteCore(builder, (_, options) => configure(options));
    }

    /// <summary>
    /// <see cref="UseSqlite(EventSourcingBuilder, Action{SqliteOptions})"/> with the options set from the
    /// container's services when it is built (e.g. a path from <c>IConfiguration</c> or <c>IHostEnvironment</c>).
    /// </summary>
    /// <param name="builder">The EventSourcing builder.</param>
    /// <param name="configure">Sets the options from the container's services.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static EventSourcingBuilder UseSqlite(this EventSourcingBuilder builder, Action<IServiceProvider, SqliteOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return UseSqliteCore(builder, configure);
    }

    /// <summary>
    /// <see cref="UseSqlite(EventSourcingBuilder, Action{SqliteOptions})"/> with the options read from a
    /// configuration section: <c>FilePath</c>, <c>ConnectionString</c>, <c>BusyTimeout</c> (e.g. <c>00:00:30</c>).
    /// </summary>
    /// <param name="builder">The EventSourcing builder.</param>
    /// <param name="configuration">The section.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static EventSourcingBuilder UseSqlite(this EventSourcingBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        return UseSqliteCore(builder, (_, options) =>
        {
            options.FilePath = configuration["FilePath"] is { Length: > 0 } path ? path : options.FilePath;
            options.ConnectionString = configuration["ConnectionString"] is { Length: > 0 } connectionString ? connectionString : options.ConnectionString;
            if (configuration["BusyTimeout"] is { Length: > 0 } busy)
            {
                options.BusyTimeout = TimeSpan.TryParse(busy, CultureInfo.InvariantCulture, out var timeout)
                    ? timeout
                    : throw new ArgumentException($"Configuration value '{busy}' at '{(configuration as IConfigurationSection)?.Path}:BusyTimeout' is not a valid TimeSpan.", nameof(configuration));
            }
        });
    }

    private static EventSourcingBuilder UseSqliteCore(EventSourcingBuilder builder, Action<IServiceProvider, SqliteOptions> configure)
    {
        var services = builder.Services;
        services.RemoveAll<SqliteOptions>();
        services.AddSingleton(sp =>
        {
            var options = new SqliteOptions();
            configure(sp, options);
            return options;
        });
        services.RemoveAll<SqliteDatabaseProvider>();
        services.AddSingleton(sp => new SqliteDatabaseProvider(sp.GetRequiredService<SqliteOptions>(), sp.GetService<ILoggerFactory>()?.CreateLogger("EventSourcing.Sqlite")));

        services.RemoveAll<SqliteEventStore>();
        services.AddSingleton(sp => new SqliteEventStore(
            sp.GetRequiredService<SqliteDatabaseProvider>().Database,
            sp.GetRequiredService<EventTypeRegistry>(),
            sp.GetService<TimeProvider>())
        {
            InlineSet = sp.GetInlineProjections(),
            Notifier = sp.GetService<CommitNotifier>(),
        });
        services.RemoveAll<SqliteSnapshotStore>();
        services.AddSingleton(sp => new SqliteSnapshotStore(sp.GetRequiredService<SqliteDatabaseProvider>().Database));
        services.RemoveAll<SqliteCheckpointStore>();
        services.AddSingleton(sp => new SqliteCheckpointStore(sp.GetRequiredService<SqliteDatabaseProvider>().Database));
        services.RemoveAll<SqliteProjectionStore>();
        services.AddSingleton(sp => new SqliteProjectionStore(sp.GetRequiredService<SqliteDatabaseProvider>().Database, sp.GetRequiredService<EventTypeRegistry>(), sp.GetService<TimeProvider>()));
        services.RemoveAll<SqliteSchemaInitializer>();
        services.AddSingleton(sp => new SqliteSchemaInitializer(sp.GetRequiredService<SqliteDatabaseProvider>().Database));

        // Replace the in-memory defaults whether this runs inside the AddEventSourcing callback or after it.
        services.Replace(ServiceDescriptor.Singleton<IEventStore>(sp => sp.GetRequiredService<SqliteEventStore>()));
        services.Replace(ServiceDescriptor.Singleton<ISnapshotStore>(sp => sp.GetRequiredService<SqliteSnapshotStore>()));
        services.Replace(ServiceDescriptor.Singleton<ICheckpointStore>(sp => sp.GetRequiredService<SqliteCheckpointStore>()));
        services.Replace(ServiceDescriptor.Singleton<IProjectionStore>(sp => sp.GetRequiredService<SqliteProjectionStore>()));
        services.Replace(ServiceDescriptor.Singleton<IDocumentStore>(sp => new SqliteDocuments(sp.GetRequiredService<SqliteDatabaseProvider>().Database)));
        builder.UseProjectionContext<SqliteProjectionContext>();

        // First among the hosted services, so the schema is there before the projection daemon starts.
        if (!services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(SqliteSchemaHostedService)))
        {
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, SqliteSchemaHostedService>());
        }

        return builder;
    }
}
