using System.Text.Json;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using EventSourcing.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace EventSourcing.Core.Tests;

/// <summary>An event type the configured JSON options cannot serialize fails the start, named, with the fix.</summary>
public sealed class StartupValidationTests
{
    /// <summary>Not in <see cref="ConformanceJsonContext"/>: what a trimmed or AOT app meets when its context lacks a type.</summary>
    public sealed record MissingFromContext(int Value);

    [Fact]
    public void A_type_the_source_generated_context_lacks_is_named_with_the_fix()
    {
        var registry = new EventTypeRegistry(ConformanceJsonContext.Default.Options);
        registry.Register<Incremented>("incremented");
        registry.Register<MissingFromContext>("missing");

        var error = Assert.Throws<InvalidOperationException>(registry.ValidateSerialization);

        Assert.Contains("1 registered event type(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'missing' (EventSourcing.Core.Tests.StartupValidationTests+MissingFromContext)", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConformanceJsonContext", error.Message, StringComparison.Ordinal);
        Assert.Contains("[JsonSerializable(typeof(MissingFromContext))]", error.Message, StringComparison.Ordinal);
        Assert.Contains("es.UseJsonOptions(MyContext.Default.Options)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'incremented'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_whose_resolver_is_a_context_lacking_a_type_name_it_and_the_fix_through_AddEventSourcing()
    {
        // Options of the application's own making (not the context's Options), with a source-generated context as resolver.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = ConformanceJsonContext.Default };
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es.UseJsonOptions(options).AddEvent<Incremented>("incremented").AddEvent<MissingFromContext>("missing"));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(provider.GetRequiredService<EventTypeRegistry>);

        Assert.Contains("'missing' (EventSourcing.Core.Tests.StartupValidationTests+MissingFromContext): the JSON type resolver (ConformanceJsonContext) has no metadata for it.", error.Message, StringComparison.Ordinal);
        Assert.Contains("Add [JsonSerializable(typeof(MissingFromContext))] to that JsonSerializerContext and pass it with es.UseJsonOptions(MyContext.Default.Options).", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'incremented'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_without_a_resolver_as_in_a_trimmed_or_AOT_app_name_every_type_and_the_fix()
    {
        var registry = new EventTypeRegistry(new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = null });
        registry.Register<Incremented>("incremented");
        registry.Register<MissingFromContext>("missing");

        var error = Assert.Throws<InvalidOperationException>(registry.ValidateSerialization);

        Assert.Contains("cannot serialize 2 registered event type(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'incremented' (EventSourcing.Testing.Incremented): reflection-based serialization is off (a trimmed or native AOT app) and no JSON type resolver is configured.", error.Message, StringComparison.Ordinal);
        Assert.Contains("[JsonSerializable(typeof(MissingFromContext))]", error.Message, StringComparison.Ordinal);
        Assert.Contains("es.UseJsonOptions(MyContext.Default.Options)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Types_the_options_can_serialize_pass()
    {
        var registry = TestData.NewRegistry();
        registry.ValidateSerialization();
        Assert.Throws<InvalidOperationException>(() => registry.Register<MissingFromContext>("late"));
    }

    [Fact]
    public async Task Without_a_host_the_first_use_fails_and_with_one_the_start_fails_before_anything_is_stored()
    {
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es
            .UseJsonOptions(ConformanceJsonContext.Default.Options)
            .AddEvent<Incremented>("incremented")
            .AddEvent<MissingFromContext>("missing"));
        await using var provider = services.BuildServiceProvider();

        var firstUse = Assert.Throws<InvalidOperationException>(provider.GetRequiredService<IEventStore>);
        var hostStart = Assert.Throws<InvalidOperationException>(() => provider.GetServices<IHostedService>().ToArray());

        Assert.Contains("'missing'", firstUse.Message, StringComparison.Ordinal);
        Assert.Contains("'missing'", hostStart.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_start_is_logged_at_information_with_a_stable_event_id()
    {
        var logs = new Logs();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddEventSourcing(es => es.UseJsonOptions(ConformanceJsonContext.Default.Options).AddEvent<Incremented>("incremented"));
        await using var provider = services.BuildServiceProvider();

        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(TestContext.Current.CancellationToken);
            await hosted.StopAsync(TestContext.Current.CancellationToken);
        }

        var started = Assert.Single(logs.Entries, e => e.Id.Id == 1000);
        Assert.Equal((LogLevel.Information, "Started"), (started.Level, started.Id.Name));
        Assert.Equal("EventSourcing started: event store InMemoryEventStore, snapshot store InMemorySnapshotStore, 1 event type(s) checked against the JSON options (resolver ConformanceJsonContext).", started.Message);
    }

    private sealed class Logs : ILoggerFactory, ILogger
    {
        public List<(LogLevel Level, EventId Id, string Message)> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, eventId, formatter(state, exception)));
            }
        }
    }
}
