using System.Collections.Concurrent;
using EventSourcing.Projections;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>
/// Typed projections (<see cref="Projection{TContext}"/>) registered through <c>AddProjection</c> on a
/// backend: handlers per event type, the backend's own context, and the start-up checks of every
/// projection's event types and context.
/// </summary>
/// <typeparam name="TContext">The context the backend hands projections (e.g. <c>PostgresProjectionContext</c>).</typeparam>
public abstract class TypedProjectionConformance<TContext>
    where TContext : ProjectionContext
{
    /// <summary>
    /// Builds a container: <c>services.AddEventSourcing(es => { configure(es); /* your backend */ })</c>
    /// over an EMPTY store (nothing from other tests). The kit starts its hosted services and disposes it.
    /// </summary>
    /// <param name="configure">The kit's event types and projections.</param>
    /// <returns>The container.</returns>
    protected abstract ValueTask<IServiceProvider> CreateServicesAsync(Action<EventSourcingBuilder> configure);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<KitHost> StartAsync(Action<EventSourcingBuilder> configure) =>
        await KitHost.StartAsync(await CreateServicesAsync(KitHost.With(configure)), Ct);

    [Fact]
    public async Task Typed_handlers_run_per_event_type_with_the_event_the_envelope_and_the_context()
    {
        Recorder[] inline = [new("typed-inline-a", asyncIncrements: false), new("typed-inline-b", asyncIncrements: true)];
        Recorder[] later = [new("typed-async-a", asyncIncrements: false), new("typed-async-b", asyncIncrements: true)];
        await using var host = await StartAsync(es =>
        {
            foreach (var projection in inline)
            {
                es.AddProjection(projection, ProjectionMode.Inline);
            }

            foreach (var projection in later)
            {
                es.AddProjection(projection, ProjectionMode.Async);
            }
        });
        var stream = TestData.NewStream();
        await host.Events.AppendAsync(TestData.NewStream("other"), ExpectedVersion.NoStream, [new EventData(new Incremented(1))], Ct);

        var appended = await host.Events.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new Incremented(3)), new EventData(new Noted("hello")), new EventData(new Incremented(4))], Ct);

        foreach (var projection in later)
        {
            await host.Daemon.WaitForPositionAsync(projection.Name, appended.Position, Ct);
        }

        foreach (var projection in inline.Concat(later))
        {
            Assert.Equal(["incremented", "noted"], projection.EventTypes.Order(StringComparer.Ordinal));
            Assert.Equal([1, 3, 4], projection.Amounts);
            Assert.Equal([(stream, 2L, "hello")], projection.Notes);
            Assert.NotEmpty(projection.Contexts);
            Assert.All(projection.Contexts, c => Assert.True(typeof(TContext).IsAssignableFrom(c), $"{projection.Name} got a {c.Name}"));
        }
    }

    [Fact]
    public async Task Events_stored_under_an_old_type_reach_the_handler_of_the_type_they_are_upcast_to()
    {
        var projection = new Recorder("typed-upcast", asyncIncrements: false);
        await using var host = await StartAsync(es => es.AddProjection(projection, ProjectionMode.Async));
        var appended = await host.Events.AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, [new EventData(new LegacyIncremented(7)), new EventData(new Incremented(8))], Ct);

        await host.Daemon.WaitForPositionAsync("typed-upcast", appended.Position, Ct);

        Assert.Equal([7, 8], projection.Amounts);
    }

    [Fact]
    public async Task A_handler_for_an_unregistered_event_type_fails_at_start_up_naming_the_projection_and_the_type()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(es => es.AddProjection(new Unregistered(), ProjectionMode.Async)));

        Assert.Contains("'typed-unregistered'", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(NeverRegistered), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_misspelled_event_type_name_of_a_string_based_projection_fails_at_start_up_naming_the_projection_and_the_name()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(es => es.AddProjection(new Named("stock-levels", "incremented", "stock-shiped"), ProjectionMode.Inline)));

        Assert.Contains("'stock-levels'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'stock-shiped'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_type_name_that_is_upcast_on_read_fails_at_start_up_naming_the_current_name()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(es => es.AddProjection(new Named("legacy", "incremented.v1"), ProjectionMode.Async)));

        Assert.Contains("'legacy'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'incremented'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_typed_projection_for_a_context_the_backend_does_not_hand_out_fails_at_start_up_with_a_clear_message()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(es => es.AddProjection(new ForOtherBackend(), ProjectionMode.Inline)));

        Assert.Contains("'typed-other'", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(OtherContext), error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(TContext).Name, error.Message, StringComparison.Ordinal);
    }

    /// <summary>Records what its handlers get; each overload of On (sync, with the envelope, async with the context, async with both) is used by one variant.</summary>
    private sealed class Recorder : Projection<TContext>
    {
        private readonly ConcurrentQueue<int> _amounts = new();
        private readonly ConcurrentQueue<(StreamId, long, string)> _notes = new();
        private readonly ConcurrentQueue<Type> _contexts = new();

        public Recorder(string name, bool asyncIncrements)
            : base(name)
        {
            if (asyncIncrements)
            {
                On<Incremented>(async (e, context, ct) =>
                {
                    await Task.Yield();
                    _contexts.Enqueue(context.GetType());
                    _amounts.Enqueue(e.By);
                });
                On<Noted>((e, envelope) => _notes.Enqueue((envelope.StreamId, envelope.StreamVersion, e.Text)));
            }
            else
            {
                On<Incremented>(e => _amounts.Enqueue(e.By));
                On<Noted>(async (e, envelope, context, ct) =>
                {
                    await Task.Yield();
                    _contexts.Enqueue(context.GetType());
                    _notes.Enqueue((envelope.StreamId, envelope.StreamVersion, e.Text));
                });
            }
        }

        public int[] Amounts => [.. _amounts];

        public (StreamId, long, string)[] Notes => [.. _notes];

        public Type[] Contexts => [.. _contexts];
    }

    private sealed class Unregistered : Projection
    {
        public Unregistered()
            : base("typed-unregistered")
        {
            On<Incremented>(_ => { });
            On<NeverRegistered>(_ => { });
        }
    }

    private sealed class ForOtherBackend : Projection<OtherContext>
    {
        public ForOtherBackend()
            : base("typed-other") => On<Incremented>(async (_, _, _) => await Task.Yield());
    }

    private sealed class OtherContext(string name, bool isRebuild) : ProjectionContext(name, isRebuild);

    private sealed class Named(string name, params string[] eventTypes) : IProjection
    {
        public string Name { get; } = name;

        public IReadOnlyCollection<string> EventTypes { get; } = eventTypes;

        public ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
