using EventSourcing.Documents;
using EventSourcing.Postgres;
using EventSourcing.Postgres.Internal;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the PostgreSQL backend to <c>AddEventSourcing</c>.</summary>
public static class PostgresEventSourcingBuilderExtensions
{
    /// <summary>
    /// Stores events, snapshots and checkpoints in PostgreSQL instead of memory. Registers
    /// <see cref="PostgresEventStore"/>, <see cref="PostgresSnapshotStore"/>,
    /// <see cref="PostgresCheckpointStore"/>, <see cref="PostgresProjectionStore"/> and
    /// <see cref="PostgresSchemaInitializer"/> as singletons on
    /// one data source (yours, or one built from the connection string and disposed with the container).
    /// The options follow the options pattern (<c>IOptions&lt;PostgresOptions&gt;</c>): every
    /// <c>UsePostgres</c> call adds its configuration, and they are validated (<see cref="PostgresOptions.Validate"/>)
    /// when the host starts, or on first use without a host, before any SQL runs. The schema is applied (<see cref="SchemaMode.CreateOrUpdate"/>) or verified
    /// (<see cref="SchemaMode.None"/>) once: at host start by a hosted service, or by the first statement
    /// any store runs when no host was started. Inline projections registered on the builder run inside
    /// each append's transaction; async ones run in the projection daemon on the Postgres projection store,
    /// woken after local commits and — with <see cref="PostgresOptions.EnableNotifications"/> (the default) —
    /// by a hosted service that sends one coalesced NOTIFY after local commits and listens for other
    /// processes'. Polling stays the fallback.
    /// </summary>
    /// <param name="builder">The EventSourcing builder.</param>
    /// <param name="configure">Sets the connection and the schema options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static EventSourcingBuilder UsePostgres(this EventSourcingBuilder builder, Action<PostgresOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddPostgres(builder).Configure(configure);
        return builder;
    }

    /// <summary>
    /// <see cref="UsePostgres(EventSourcingBuilder, Action{PostgresOptions})"/> with options configured from
    /// the container when it is built, e.g. a connection string from <c>IConfiguration</c> or a data
    /// source from another registration.
    /// </summary>
    /// <param name="builder">The EventSourcing builder.</param>
    /// <param name="configure">Sets the options from the container's services.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static EventSourcingBuilder UsePostgres(this EventSourcingBuilder builder, Action<IServiceProvider, PostgresOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddPostgres(builder).Configure<IServiceProvider>((options, sp) => configure(sp, options));
        return builder;
    }

    /// <summary>
    /// <see cref="UsePostgres(EventSourcingBuilder, Action{PostgresOptions})"/> with options bound from a
    /// configuration section (e.g. <c>builder.Configuration.GetSection("EventSourcing:Postgres")</c>, with keys
    /// <c>ConnectionString</c>, <c>Schema</c>, <c>SchemaMode</c>, <c>CommandTimeout</c>, <c>TransactionPooling</c>, …),
    /// then by <paramref name="configure"/> when given.
    /// </summary>
    /// <param name="builder">The EventSourcing builder.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <param name="configure">Further settings, applied after the binding.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static EventSourcingBuilder UsePostgres(this EventSourcingBuilder builder, IConfiguration configuration, Action<PostgresOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = AddPostgres(builder).Configure(o => Bind(configuration, o));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder;
    }

    /// <summary>
    /// Uses PostgreSQL through the <see cref="NpgsqlDataSource"/> registered in the container (e.g. by
    /// Npgsql.DependencyInjection's <c>AddNpgsqlDataSource</c> or .NET Aspire's <c>AddNpgsqlDataSource</c>),
    /// which the backend never disposes. <paramref name="serviceKey"/> picks a keyed data source.
    /// </summary>
    /// <param name="builder">The EventSourcing builder.</param>
    /// <param name="configure">Further settings (schema, schema mode, timeouts); leave <see cref="PostgresOptions.ConnectionString"/> unset.</param>
    /// <param name="serviceKey">The key of a keyed <see cref="NpgsqlDataSource"/> registration; null for the unkeyed one.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static EventSourcingBuilder UseNpgsqlDataSource(this EventSourcingBuilder builder, Action<PostgresOptions>? configure = null, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // A keyed store (AddKeyedEventSourcing) takes the application's data source into its own container.
        builder.UseApplicationService(typeof(NpgsqlDataSource), serviceKey);
        return builder.UsePostgres((sp, options) =>
        {
            options.DataSource = serviceKey is null ? sp.GetRequiredService<NpgsqlDataSource>() : sp.GetRequiredKeyedService<NpgsqlDataSource>(serviceKey);
            configure?.Invoke(options);
        });
    }

    // Bound by hand: no reflection (trimming and AOT stay clean), and a bad value names its key.
    private static void Bind(IConfiguration section, PostgresOptions options)
    {
        string? Value(string key) => section[key] is { Length: > 0 } v ? v : null;
        T Parse<T>(string key, Func<string, T> parse, T current)
        {
            if (Value(key) is not { } text)
            {
                return current;
            }

            try
            {
                return parse(text);
            }
            catch (FormatException ex)
            {
                throw new ArgumentException($"Configuration value '{text}' at '{Path(section, key)}' is not a valid {typeof(T).Name}.", key, ex);
            }
        }

        options.ConnectionString = Value(nameof(PostgresOptions.ConnectionString)) ?? options.ConnectionString;
        options.Schema = Value(nameof(PostgresOptions.Schema)) ?? options.Schema;
        options.SchemaMode = Parse(nameof(PostgresOptions.SchemaMode), t => Enum.TryParse<SchemaMode>(t, ignoreCase: true, out var m) && Enum.IsDefined(m) ? m : throw new FormatException(), options.SchemaMode);
        options.CommandTimeout = Parse(nameof(PostgresOptions.CommandTimeout), t => TimeSpan.Parse(t, System.Globalization.CultureInfo.InvariantCulture), options.CommandTimeout);
        options.EnableNotifications = Parse(nameof(PostgresOptions.EnableNotifications), bool.Parse, options.EnableNotifications);
        options.NotificationInterval = Parse(nameof(PostgresOptions.NotificationInterval), t => TimeSpan.Parse(t, System.Globalization.CultureInfo.InvariantCulture), options.NotificationInterval);
        options.TransactionPooling = Parse(nameof(PostgresOptions.TransactionPooling), bool.Parse, options.TransactionPooling);
        options.ProjectionLeaseDuration = Parse(nameof(PostgresOptions.ProjectionLeaseDuration), t => TimeSpan.Parse(t, System.Globalization.CultureInfo.InvariantCulture), options.ProjectionLeaseDuration);
    }

    private static string Path(IConfiguration section, string key) => section is IConfigurationSection s ? $"{s.Path}:{key}" : key;

    /// <summary>Registers the backend once (later calls only add configuration).</summary>
    private static OptionsBuilder<PostgresOptions> AddPostgres(EventSourcingBuilder builder)
    {
        var services = builder.Services;
        var options = services.AddOptions<PostgresOptions>();
        if (services.Any(d => d.ServiceType == typeof(PostgresBackend)))
        {
            return options;
        }

        services.AddSingleton(sp => sp.GetRequiredService<IOptions<PostgresOptions>>().Value);
        services.AddSingleton(sp => new PostgresDataSourceProvider(sp.GetRequiredService<PostgresOptions>()));

        // One backend (data source, checked options, the schema's statements, the schema gate) for every store and the initializer.
        services.AddSingleton(sp => new PostgresBackend(sp.GetRequiredService<PostgresDataSourceProvider>().DataSource, sp.GetRequiredService<PostgresOptions>())
        {
            EnsureSchemaOnFirstUse = true,
            Logger = sp.GetService<ILoggerFactory>()?.CreateLogger("EventSourcing.Postgres"),
        });

        services.AddSingleton(sp => new PostgresEventStore(
            sp.GetRequiredService<PostgresBackend>(),
            sp.GetRequiredService<EventTypeRegistry>(),
            sp.GetService<TimeProvider>(),
            sp.GetInlineProjections(),
            sp.GetService<CommitNotifier>()));
        services.AddSingleton(sp => new PostgresSnapshotStore(sp.GetRequiredService<PostgresBackend>()));
        services.AddSingleton(sp => new PostgresCheckpointStore(sp.GetRequiredService<PostgresBackend>()));
        services.AddSingleton(sp => new PostgresProjectionStore(sp.GetRequiredService<PostgresBackend>(), sp.GetRequiredService<EventTypeRegistry>(), sp.GetService<TimeProvider>()));
        services.AddSingleton(sp => new PostgresSchemaInitializer(sp.GetRequiredService<PostgresBackend>()));

        // Replace the in-memory defaults whether this runs inside the AddEventSourcing callback or after it.
        services.Replace(ServiceDescriptor.Singleton<IEventStore>(sp => sp.GetRequiredService<PostgresEventStore>()));
        services.Replace(ServiceDescriptor.Singleton<ISnapshotStore>(sp => sp.GetRequiredService<PostgresSnapshotStore>()));
        services.Replace(ServiceDescriptor.Singleton<ICheckpointStore>(sp => sp.GetRequiredService<PostgresCheckpointStore>()));
        services.Replace(ServiceDescriptor.Singleton<IProjectionStore>(sp => sp.GetRequiredService<PostgresProjectionStore>()));
        services.Replace(ServiceDescriptor.Singleton<IDocumentStore>(sp => new PostgresDocuments(sp.GetRequiredService<PostgresBackend>())));
        builder.UseProjectionContext<PostgresProjectionContext>();

        // First among the hosted services, so the schema is there before the projection daemon starts; then,
        // right after it (and so before the daemon), the service that tells other processes about commits
        // and hears theirs (it does nothing when PostgresOptions.EnableNotifications is off).
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, PostgresSchemaHostedService>());
        services.Insert(1, ServiceDescriptor.Singleton<IHostedService, PostgresNotificationService>());

        // Third: the monitor that samples the global log's horizon for eventsourcing.global_log.horizon.age, only
        // while a listener enables it. The data source provider is resolved first, so it is disposed after the monitor.
        services.Insert(2, ServiceDescriptor.Singleton<IHostedService>(sp =>
        {
            var provider = sp.GetRequiredService<PostgresDataSourceProvider>();
            return new PostgresHorizonMonitor(() => provider.DataSource, sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>()?.CreateLogger("EventSourcing.Postgres"));
        }));
        return options;
    }
}
