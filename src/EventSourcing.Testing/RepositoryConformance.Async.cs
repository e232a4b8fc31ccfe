using Xunit;

namespace EventSourcing.Testing;

/// <summary>Asynchronous commands, their results, and what a command that keeps losing its race reports.</summary>
public abstract partial class RepositoryConformance
{
    [Fact]
    public async Task An_async_command_returns_its_value_and_the_position_of_its_append()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>();
        var stream = TestData.NewStream();
        await repo.ExecuteAsync(stream, c => c.Increment(1), cancellationToken: Ct);

        var outcome = await repo.ExecuteAsync(stream, async (c, ct) =>
        {
            await Task.Yield();
            c.Increment(2);
            c.Note("async");
            return c.Total;
        }, cancellationToken: Ct);

        Assert.Equal(3, outcome.Result);
        Assert.False(outcome.AlreadyApplied);
        Assert.Equal((3L, 3), (outcome.Aggregate.Version, outcome.Aggregate.Total));
        Assert.NotNull(outcome.Append);
        Assert.Equal(3, outcome.Append.NextExpectedVersion);
        var last = await events.ReadStreamBackwardsAsync(stream, maxCount: 1, cancellationToken: Ct).SingleAsync(Ct);
        Assert.Equal(last.Position, outcome.Append.Position);
    }

    [Fact]
    public async Task An_async_command_that_raises_nothing_has_no_append()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>();
        var stream = TestData.NewStream();

        var outcome = await repo.ExecuteAsync(stream, (c, ct) => Task.CompletedTask, cancellationToken: Ct);

        Assert.Null(outcome.Append);
        Assert.Equal(0, await events.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task An_async_command_with_an_id_runs_once_and_its_rerun_reports_it_applied()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>();
        var stream = TestData.NewStream();
        var commandId = Guid.NewGuid();
        var runs = 0;
        async Task Pay(Counter c, CancellationToken ct)
        {
            await Task.Yield();
            runs++;
            c.Increment(5);
        }

        var first = await repo.ExecuteAsync(stream, commandId, Pay, cancellationToken: Ct);
        var second = await repo.ExecuteAsync(stream, commandId, Pay, cancellationToken: Ct);

        Assert.Equal((false, true), (first.AlreadyApplied, second.AlreadyApplied));
        Assert.Equal(1, first.Append!.NextExpectedVersion);
        Assert.Null(second.Append);
        Assert.Equal(1, runs);
        Assert.Equal(1, await events.GetStreamVersionAsync(stream, Ct));
    }

    [Fact]
    public async Task A_command_that_loses_every_race_says_how_many_attempts_ran_and_writes_nothing()
    {
        var (repo, events, _) = await RepositoryAsync<Counter>(retries: 2);
        var stream = TestData.NewStream();
        var runs = 0;

        // Every run lets another writer append first, so every save meets a newer stream.
        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => repo.ExecuteAsync(stream, async (c, ct) =>
        {
            runs++;
            await events.AppendAsync(stream, ExpectedVersion.Any, [new EventData(new Noted("other writer"))], ct);
            c.Increment(1);
        }, cancellationToken: Ct));

        Assert.Equal(3, runs);
        Assert.Equal(3, error.Attempts);
        Assert.Contains("all 3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxConcurrencyRetries = 2", error.Message, StringComparison.Ordinal);
        Assert.IsType<WrongExpectedVersionException>(error.InnerException);
        Assert.Null(((WrongExpectedVersionException)error.InnerException).Attempts);
        Assert.Equal((stream, 3L), (error.StreamId, error.ActualVersion));
        Assert.Equal(3, await events.GetStreamVersionAsync(stream, Ct));
        Assert.Equal(0, (await repo.LoadAsync(stream, Ct)).Total);
    }
}
