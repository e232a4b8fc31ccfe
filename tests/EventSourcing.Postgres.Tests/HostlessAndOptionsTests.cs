using EventSourcing.Storage;
using EventSourcing.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>UsePostgres without a host (the schema on first use), the options pattern, and data sources from DI.</summary>
public sealed class HostlessAndOptionsTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task Without_a_host_the_first_calls_apply_the_schema_once_and_log_it()
    {
        var schema = PostgresFixture.NewSchemaName("hostless");
        var logs = new LogCollector();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddEventSourcing(es => es
            .UseJsonOptions(ConformanceJsonContext.Default.Options)
            .AddEvent<Incremented>("incremented")
            .UsePostgres(pg =>
            {
                pg.ConnectionString = fixture.ConnectionString;
                pg.Schema = schema;
            }));
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IEventStore>();

        // No hosted service started: eight first calls at once share one schema run.
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            store.AppendAsync(StreamId.From($"hostless-{i}"), ExpectedVersion.NoStream, [new EventData(new Incremented(i + 1))], Ct).AsTask()));

        Assert.All(results, r => Assert.Equal(1, r.NextExpectedVersion));
        Assert.Equal((long)PostgresSchemaInitializer.LatestVersion, await fixture.DataSource.ScalarAsync($"select count(*) from \"{schema}\".schema_version"));
        var applied = Assert.Single(logs.Entries, e => e.Id.Id == 2001);
        Assert.Equal((LogLevel.Information, "SchemaApplied", "EventSourcing.Postgres"), (applied.Level, applied.Id.Name, applied.Category));
        Assert.Contains($"schema \"{schema}\" is at version {PostgresSchemaInitializer.LatestVersion} ({PostgresSchemaInitializer.LatestVersion} script(s) applied now)", applied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_host_SchemaMode_None_fails_on_first_use_naming_the_fix_and_creates_nothing()
    {
        var schema = PostgresFixture.NewSchemaName("hostless_none");
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es.UsePostgres(pg =>
        {
            pg.ConnectionString = fixture.ConnectionString;
            pg.Schema = schema;
            pg.SchemaMode = SchemaMode.None;
        }));
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<EventStoreException>(() => provider.GetRequiredService<IEventStore>().GetStreamVersionAsync(StreamId.From("x"), Ct).AsTask());

        Assert.Contains(schema, error.Message, StringComparison.Ordinal);
        Assert.Contains("SchemaMode.CreateOrUpdate", error.Message, StringComparison.Ordinal);
        Assert.Contains("GetScript()", error.Message, StringComparison.Ordinal);
        Assert.Null(await fixture.DataSource.ScalarAsync("select nspname from pg_namespace where nspname = $1", schema));

        // Once a DBA applied it, the next call goes through (a failed check is not remembered).
        await new PostgresSchemaInitializer(fixture.DataSource, new PostgresOptions { Schema = schema }).ApplyAsync(Ct);
        Assert.Equal(0, await provider.GetRequiredService<IEventStore>().GetStreamVersionAsync(StreamId.From("x"), Ct));
    }

    [Fact]
    public async Task UseNpgsqlDataSource_uses_the_data_source_of_AddNpgsqlDataSource_also_a_keyed_one()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var services = new ServiceCollection();
        services.AddNpgsqlDataSource(fixture.ConnectionString);
        services.AddNpgsqlDataSource(fixture.ConnectionString + ";Application Name=keyed", serviceKey: "events");
        services.AddEventSourcing(es => es
            .UseJsonOptions(ConformanceJsonContext.Default.Options)
            .AddEvent<Incremented>("incremented")
            .UseNpgsqlDataSource(pg => pg.Schema = options.Schema, serviceKey: "events"));
        await using var provider = services.BuildServiceProvider();

        var used = provider.GetRequiredService<PostgresOptions>().DataSource;
        Assert.Same(provider.GetRequiredKeyedService<NpgsqlDataSource>("events"), used);
        Assert.NotSame(provider.GetRequiredService<NpgsqlDataSource>(), used);
        var result = await provider.GetRequiredService<IEventStore>().AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, [new EventData(new Incremented(1))], Ct);
        Assert.Equal(1, result.NextExpectedVersion);

        var unkeyed = new ServiceCollection();
        unkeyed.AddNpgsqlDataSource(fixture.ConnectionString);
        unkeyed.AddEventSourcing(es => es.UseNpgsqlDataSource(pg => pg.Schema = options.Schema));
        await using var second = unkeyed.BuildServiceProvider();
        Assert.Same(second.GetRequiredService<NpgsqlDataSource>(), second.GetRequiredService<PostgresOptions>().DataSource);
    }

    [Fact]
    public async Task UsePostgres_binds_a_configuration_section_and_later_calls_add_to_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventSourcing:Postgres:ConnectionString"] = fixture.ConnectionString,
            ["EventSourcing:Postgres:Schema"] = "from_config",
            ["EventSourcing:Postgres:SchemaMode"] = "None",
            ["EventSourcing:Postgres:CommandTimeout"] = "00:00:07",
            ["EventSourcing:Postgres:EnableNotifications"] = "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es
            .UsePostgres(configuration.GetSection("EventSourcing:Postgres"))
            .UsePostgres(pg => pg.Schema = "overridden"));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<PostgresOptions>();

        Assert.Equal((fixture.ConnectionString, "overridden", SchemaMode.None, TimeSpan.FromSeconds(7), false), (options.ConnectionString, options.Schema, options.SchemaMode, options.CommandTimeout, options.EnableNotifications));
        Assert.Single(services, d => d.ServiceType == typeof(PostgresEventStore));
        Assert.Same(options, provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<PostgresOptions>>().Value);
    }

    [Fact]
    public async Task A_configuration_value_that_does_not_parse_names_its_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Store:ConnectionString"] = "Host=127.0.0.1;Port=1",
            ["Store:SchemaMode"] = "Sometimes",
        }).Build();
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es.UsePostgres(configuration.GetSection("Store")));
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<PostgresOptions>());

        Assert.Contains("'Sometimes' at 'Store:SchemaMode'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsePostgres_with_the_service_provider_configures_from_other_registrations()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var services = new ServiceCollection();
        services.AddSingleton(new AppSettings(fixture.ConnectionString, options.Schema));
        services.AddEventSourcing(es => es
            .UseJsonOptions(ConformanceJsonContext.Default.Options)
            .AddEvent<Incremented>("incremented")
            .UsePostgres((sp, pg) =>
            {
                var settings = sp.GetRequiredService<AppSettings>();
                pg.ConnectionString = settings.ConnectionString;
                pg.Schema = settings.Schema;
            }));
        await using var provider = services.BuildServiceProvider();

        Assert.Equal(options.Schema, provider.GetRequiredService<PostgresOptions>().Schema);
        var result = await provider.GetRequiredService<IEventStore>().AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, [new EventData(new Incremented(2))], Ct);
        Assert.Equal(1, result.NextExpectedVersion);
    }

    private sealed record AppSettings(string ConnectionString, string Schema);

    /// <summary>Keeps every log entry with its category, level and event id.</summary>
    private sealed class LogCollector : ILoggerFactory
    {
        public List<(string Category, LogLevel Level, EventId Id, string Message)> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class Logger(LogCollector owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner.Entries)
                {
                    owner.Entries.Add((category, logLevel, eventId, formatter(state, exception)));
                }
            }
        }
    }
}
