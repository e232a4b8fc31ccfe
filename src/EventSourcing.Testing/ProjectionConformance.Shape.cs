using EventSourcing.Projections;
using Xunit;

namespace EventSourcing.Testing;

public abstract partial class ProjectionConformance
{
    [Fact]
    public async Task An_inline_projection_gets_the_event_as_readers_do_never_the_appenders_object()
    {
        var projection = new TagMutatingProjection();
        var (events, _) = await CreateBackendAsync(TestData.NewRegistry(), [projection]);
        var stream = TestData.NewStream();
        var appended = new Tagged(["a"], []);

        await events.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(appended)], Ct);

        // The projection saw an equal event, in its own object: its change reaches neither the appender's
        // object nor what readers get.
        Assert.Equal(["a"], projection.SeenTags);
        Assert.Equal(["a"], appended.Tags);
        await foreach (var e in events.ReadStreamAsync(stream, cancellationToken: Ct))
        {
            Assert.Equal(["a"], ((Tagged)e.Event).Tags);
        }
    }

    private sealed class TagMutatingProjection : IProjection
    {
        public string Name => "tag-mutating";

        public IReadOnlyCollection<string> EventTypes { get; } = ["tagged"];

        public List<string> SeenTags { get; } = [];

        public ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
        {
            var tagged = (Tagged)envelope.Event;
            SeenTags.AddRange(tagged.Tags);
            tagged.Tags.Add("changed by a projection");
            return ValueTask.CompletedTask;
        }
    }
}
