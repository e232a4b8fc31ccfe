using EventSourcing.Aggregates;
using EventSourcing.Storage;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>Commands with an identity: a re-run after a lost reply is recognised, never stored twice.</summary>
public abstract partial class RepositoryConformance
{
    [Fact]
    public async Task A_command_rerun_with_its_id_after_a_lost_reply_is_not_run_again_and_writes_nothing()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>();
        var stream = TestData.NewStream();
        var commandId = Guid.NewGuid();
        var runs = 0;
        void PayOnce(Counter c)
        {
            runs++;
            if (c.Total >= 5)
            {
                throw new InvalidOperationException("Already paid: a second run of this command fails.");
            }

            c.Increment(5);
            c.Note("paid");
        }

        // The first attempt commits, but its caller never hears back (a lost reply).
        var first = await repo.LoadAsync(stream, Ct);
        PayOnce(first);
        var saved = await repo.SaveAsync(stream, first, commandId, cancellationToken: Ct);
        Assert.False(saved!.AlreadyAppended);
        await repo.ExecuteAsync(stream, c => c.Note("later"), cancellationToken: Ct);

        var retry = await repo.ExecuteAsync(stream, commandId, PayOnce, cancellationToken: Ct);

        Assert.True(retry.AlreadyApplied);
        Assert.Equal(1, runs);
        Assert.Equal((5, 3L, "later"), (retry.Aggregate.Total, retry.Aggregate.Version, retry.Aggregate.LastNote));
        Assert.Empty(retry.Aggregate.UncommittedEvents);
        Assert.Equal(3, await events.GetStreamVersionAsync(stream, Ct));
        var ids = new List<Guid>();
        await foreach (var e in events.ReadStreamAsync(stream, 1, 2, Ct))
        {
            ids.Add(e.EventId);
        }

        Assert.Equal([CommandIds.EventId(commandId, stream, 0), CommandIds.EventId(commandId, stream, 1)], ids);
    }

    [Fact]
    public async Task A_command_id_is_recognised_when_a_snapshot_covers_the_commands_events()
    {
        var (repo, events, snapshots) = await RepositoryAsync<Counter>(SnapshotPolicy.Every(1));
        var stream = TestData.NewStream();
        var commandId = Guid.NewGuid();
        var runs = 0;
        void PayOnce(Counter c)
        {
            runs++;
            if (c.Total >= 5)
            {
                throw new InvalidOperationException("Already paid: a second run of this command fails.");
            }

            c.Increment(5);
            c.Increment(1);
        }

        var first = await repo.ExecuteAsync(stream, commandId, PayOnce, cancellationToken: Ct);
        Assert.False(first.AlreadyApplied);
        await repo.ExecuteAsync(stream, c => c.Note("after"), cancellationToken: Ct);
        Assert.Equal(3, (await snapshots.LoadAsync(stream, Ct))!.Version);

        var retry = await repo.ExecuteAsync(stream, commandId, PayOnce, cancellationToken: Ct);

        Assert.True(retry.AlreadyApplied);
        Assert.Equal(1, runs);
        Assert.Equal((6, 3L), (retry.Aggregate.Total, retry.Aggregate.Version));
        Assert.Equal(3, await events.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task Different_command_ids_run_and_store_different_events()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>();
        var stream = TestData.NewStream();
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());

        var first = await repo.ExecuteAsync(stream, a, c => c.Increment(2), cancellationToken: Ct);
        var second = await repo.ExecuteAsync(stream, b, c => c.Increment(2), cancellationToken: Ct);

        Assert.False(first.AlreadyApplied);
        Assert.False(second.AlreadyApplied);
        Assert.Equal((4, 2L), (second.Aggregate.Total, second.Aggregate.Version));
        var ids = new List<Guid>();
        await foreach (var e in events.ReadStreamAsync(stream, cancellationToken: Ct))
        {
            ids.Add(e.EventId);
        }

        Assert.Equal([CommandIds.EventId(a, stream, 0), CommandIds.EventId(b, stream, 0)], ids);
        Assert.NotEqual(ids[0], ids[1]);
    }

    [Fact]
    public async Task One_command_id_on_two_streams_runs_on_each_with_different_event_ids()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>();
        var (s1, s2) = (TestData.NewStream(), TestData.NewStream());
        var commandId = Guid.NewGuid();

        var first = await repo.ExecuteAsync(s1, commandId, c => c.Increment(3), cancellationToken: Ct);
        var second = await repo.ExecuteAsync(s2, commandId, c => c.Increment(3), cancellationToken: Ct);

        Assert.False(first.AlreadyApplied);
        Assert.False(second.AlreadyApplied);
        var id1 = await SingleEventIdAsync(events, s1);
        var id2 = await SingleEventIdAsync(events, s2);
        Assert.NotEqual(id1, id2);
        Assert.Equal(CommandIds.EventId(commandId, s1, 0), id1);
        Assert.Equal(CommandIds.EventId(commandId, s2, 0), id2);
        Assert.NotNull(await events.ReadEventAsync(s1, id1, Ct));
        Assert.Null(await events.ReadEventAsync(s2, id1, Ct));
    }

    [Fact]
    public async Task A_concurrency_retry_reruns_the_command_with_the_same_derived_ids()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>();
        var stream = TestData.NewStream();
        var commandId = Guid.NewGuid();
        var runs = 0;

        var result = await repo.ExecuteAsync(stream, commandId, c =>
        {
            if (++runs == 1)
            {
                // Another writer gets in between this attempt's load and its save.
                events.AppendAsync(stream, ExpectedVersion.Any, [new EventData(new Incremented(1))], Ct).AsTask().GetAwaiter().GetResult();
            }

            c.Increment(5);
        }, cancellationToken: Ct);

        Assert.False(result.AlreadyApplied);
        Assert.Equal(2, runs);
        Assert.Equal((6, 2L), (result.Aggregate.Total, result.Aggregate.Version));
        var stored = await events.ReadEventAsync(stream, CommandIds.EventId(commandId, stream, 0), Ct);
        Assert.Equal(2, stored!.StreamVersion);
    }

    [Fact]
    public async Task A_duplicate_that_commits_first_is_reported_as_applied_and_stored_once()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>();
        var stream = TestData.NewStream();
        var commandId = Guid.NewGuid();
        var runs = 0;

        var result = await repo.ExecuteAsync(stream, commandId, c =>
        {
            if (++runs == 1)
            {
                // A duplicate of this command (another process retrying it) commits its events first.
                var duplicate = new EventData(new Incremented(5), eventId: CommandIds.EventId(commandId, stream, 0));
                events.AppendAsync(stream, ExpectedVersion.NoStream, [duplicate], Ct).AsTask().GetAwaiter().GetResult();
            }

            c.Increment(5);
        }, cancellationToken: Ct);

        Assert.True(result.AlreadyApplied);
        Assert.Equal((5, 1L), (result.Aggregate.Total, result.Aggregate.Version));
        Assert.Equal(1, await events.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task A_rejected_command_leaves_its_id_free_to_run_later()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>();
        var stream = TestData.NewStream();
        var commandId = Guid.NewGuid();
        var amount = -1;

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => repo.ExecuteAsync(stream, commandId, c => c.Increment(amount), cancellationToken: Ct));
        Assert.Equal(0, await events.GetStreamVersionAsync(stream, Ct));

        amount = 4;
        var result = await repo.ExecuteAsync(stream, commandId, c => c.Increment(amount), cancellationToken: Ct);
        Assert.False(result.AlreadyApplied);
        Assert.Equal(4, result.Aggregate.Total);
    }

    [Fact]
    public void Command_ids_follow_the_documented_name_based_scheme()
    {
        // Computed independently: first 16 bytes of SHA-256(namespace || name), version 8, variant 10.
        var commandId = CommandIds.FromKey("order-42");
        Assert.Equal(new Guid("ae96fcf8-c575-84e0-beb0-2295102b45c6"), commandId);
        Assert.Equal(new Guid("8c557ba1-f591-80eb-aef8-82761c9b7b72"), CommandIds.EventId(commandId, StreamId.From("account-7"), 0));
        Assert.Equal(new Guid("995efd0b-f6b3-8aa8-9295-015195304650"), CommandIds.EventId(commandId, StreamId.From("account-7"), 1));
        Assert.Equal(8, commandId.Version);
        Assert.NotEqual(CommandIds.FromKey("order-43"), commandId);

        Assert.Throws<ArgumentException>(() => CommandIds.FromKey(""));
        Assert.Throws<ArgumentException>(() => CommandIds.FromKey("bad \ud800 key"));
        Assert.Throws<ArgumentException>(() => CommandIds.EventId(Guid.Empty, StreamId.From("account-7"), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CommandIds.EventId(commandId, StreamId.From("account-7"), -1));
    }

    private static async Task<Guid> SingleEventIdAsync(IEventStore events, StreamId stream)
    {
        var ids = new List<Guid>();
        await foreach (var e in events.ReadStreamAsync(stream, cancellationToken: Ct))
        {
            ids.Add(e.EventId);
        }

        return Assert.Single(ids);
    }
}
