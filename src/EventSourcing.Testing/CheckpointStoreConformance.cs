using EventSourcing.Storage;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>The behaviour every <see cref="ICheckpointStore"/> must have: fenced moves.</summary>
public abstract class CheckpointStoreConformance
{
    /// <summary>Creates (or hands out) a checkpoint store.</summary>
    protected abstract ValueTask<ICheckpointStore> CreateCheckpointStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewName() => $"cp-{Guid.NewGuid():N}";

    [Fact]
    public async Task A_checkpoint_that_never_ran_loads_as_null()
    {
        var store = await CreateCheckpointStoreAsync();
        Assert.Null(await store.LoadAsync(NewName(), Ct));
    }

    [Fact]
    public async Task A_checkpoint_is_created_then_moved_forward()
    {
        var store = await CreateCheckpointStoreAsync();
        var name = NewName();
        var first = GlobalPosition.FromParts(5, 10);
        var second = GlobalPosition.FromParts(7, 11);

        await store.SaveAsync(name, null, first, Ct);
        Assert.Equal(first, await store.LoadAsync(name, Ct));
        await store.SaveAsync(name, first, second, Ct);
        Assert.Equal(second, await store.LoadAsync(name, Ct));
    }

    [Fact]
    public async Task A_stale_writer_is_fenced_off()
    {
        var store = await CreateCheckpointStoreAsync();
        var name = NewName();
        var start = GlobalPosition.FromParts(1, 1);
        await store.SaveAsync(name, null, start, Ct);
        await store.SaveAsync(name, start, GlobalPosition.FromParts(2, 2), Ct);

        var stale = await Assert.ThrowsAsync<CheckpointConflictException>(() => store.SaveAsync(name, start, GlobalPosition.FromParts(3, 3), Ct).AsTask());
        Assert.Equal(name, stale.Name);
        await Assert.ThrowsAsync<CheckpointConflictException>(() => store.SaveAsync(name, null, GlobalPosition.FromParts(9, 9), Ct).AsTask());
        Assert.Equal(GlobalPosition.FromParts(2, 2), await store.LoadAsync(name, Ct));
    }

    [Fact]
    public async Task Of_two_racing_writers_exactly_one_moves_the_checkpoint()
    {
        var store = await CreateCheckpointStoreAsync();
        var name = NewName();
        var start = GlobalPosition.FromParts(1, 1);
        await store.SaveAsync(name, null, start, Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                await store.SaveAsync(name, start, GlobalPosition.FromParts(2, 100 + i), Ct);
                return true;
            }
            catch (CheckpointConflictException)
            {
                return false;
            }
        }, Ct)));

        Assert.Equal(1, results.Count(r => r));
        var winner = Array.IndexOf(results, true);
        Assert.Equal(GlobalPosition.FromParts(2, 100 + winner), await store.LoadAsync(name, Ct));
    }
}
