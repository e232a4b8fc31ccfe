using EventSourcing.Storage;
using Xunit;

namespace EventSourcing.Testing;

/// <summary>The behaviour every <see cref="ISnapshotStore"/> must have.</summary>
public abstract class SnapshotStoreConformance
{
    private static readonly DateTimeOffset At = new(2026, 2, 3, 4, 5, 6, TimeSpan.Zero);

    /// <summary>Creates (or hands out) a snapshot store.</summary>
    protected abstract ValueTask<ISnapshotStore> CreateSnapshotStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Snapshot Make(StreamId stream, long version, int schema = 1, string type = "counter", string state = "{\"total\":1}") =>
        new(stream, version, type, schema, System.Text.Encoding.UTF8.GetBytes(state), At);

    [Fact]
    public async Task A_missing_snapshot_loads_as_null()
    {
        var store = await CreateSnapshotStoreAsync();
        Assert.Null(await store.LoadAsync(TestData.NewStream(), Ct));
    }

    [Fact]
    public async Task A_saved_snapshot_loads_back_unchanged()
    {
        var store = await CreateSnapshotStoreAsync();
        var stream = TestData.NewStream();
        var saved = Make(stream, 42, schema: 3, state: "{\"total\":42,\"note\":\"\u00e9\"}");
        await store.SaveAsync(saved, Ct);

        var loaded = await store.LoadAsync(stream, Ct);

        Assert.NotNull(loaded);
        Assert.Equal(stream, loaded.StreamId);
        Assert.Equal(42, loaded.Version);
        Assert.Equal(3, loaded.SchemaVersion);
        Assert.Equal("counter", loaded.StateType);
        Assert.Equal(At, loaded.Timestamp);
        Assert.Equal(saved.State.ToArray(), loaded.State.ToArray());
    }

    [Fact]
    public async Task A_newer_snapshot_replaces_an_older_one_but_not_the_reverse()
    {
        var store = await CreateSnapshotStoreAsync();
        var stream = TestData.NewStream();
        await store.SaveAsync(Make(stream, 10), Ct);
        await store.SaveAsync(Make(stream, 20), Ct);
        await store.SaveAsync(Make(stream, 15), Ct);

        Assert.Equal(20, (await store.LoadAsync(stream, Ct))!.Version);
    }

    [Fact]
    public async Task A_snapshot_of_another_schema_version_is_replaced_even_by_a_lower_version()
    {
        var store = await CreateSnapshotStoreAsync();
        var stream = TestData.NewStream();
        await store.SaveAsync(Make(stream, 50, schema: 1), Ct);
        await store.SaveAsync(Make(stream, 30, schema: 2), Ct);

        var loaded = await store.LoadAsync(stream, Ct);
        Assert.Equal(2, loaded!.SchemaVersion);
        Assert.Equal(30, loaded.Version);
    }

    [Fact]
    public async Task Snapshots_can_be_deleted_per_stream_and_per_type()
    {
        var store = await CreateSnapshotStoreAsync();
        var type = $"type-{Guid.NewGuid():N}";
        var a = TestData.NewStream();
        var b = TestData.NewStream();
        var other = TestData.NewStream();
        await store.SaveAsync(Make(a, 1, type: type), Ct);
        await store.SaveAsync(Make(b, 1, type: type), Ct);
        await store.SaveAsync(Make(other, 1, type: "other-" + type), Ct);

        await store.DeleteAsync(a, Ct);
        Assert.Null(await store.LoadAsync(a, Ct));
        Assert.NotNull(await store.LoadAsync(b, Ct));

        Assert.Equal(1, await store.DeleteAllAsync(type, Ct));
        Assert.Null(await store.LoadAsync(b, Ct));
        Assert.NotNull(await store.LoadAsync(other, Ct));
    }

    [Fact]
    public async Task Invalid_snapshots_are_rejected()
    {
        var store = await CreateSnapshotStoreAsync();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.SaveAsync(Make(TestData.NewStream(), 0), Ct).AsTask());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.SaveAsync(Make(default, 1), Ct).AsTask());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.SaveAsync(Make(TestData.NewStream(), 1, type: " "), Ct).AsTask());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.SaveAsync(null!, Ct).AsTask());
    }
}
