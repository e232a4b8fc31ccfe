using EventSourcing.Projections;
using EventSourcing.Testing.Postgres;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// What the end of a projection's unit of work costs on the wire, counted by a <see cref="LostReplyProxy"/>
/// in front of the server (it only forwards and counts here): the fence, the commit mode of a rebuild
/// batch and the checkpoint move go in one round trip (a rebuild commits one such unit per batch), the
/// commit in another; a fence on a lease taken over still refuses the commit.
/// </summary>
public sealed class UnitOfWorkRoundTripTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task A_fenced_checkpoint_move_and_its_commit_are_two_round_trips_for_a_rebuild_batch_and_a_live_one()
    {
        var (proxy, proxied, store) = await CreateAsync("uow_trips");
        await using (proxy)
        await using (proxied)
        {
            var lease = await store.TryAcquireLeaseAsync("trips:rebuild", Ct);
            Assert.NotNull(lease);
            await using (lease)
            {
                // The first units create the checkpoints (and open the pool's connection); count the moves after them.
                await UnitAsync(store, lease, "trips", "trips:rebuild", isRebuild: true, null, Position(1));
                await UnitAsync(store, lease, "trips", "trips", isRebuild: false, null, Position(1));

                var before = proxy.Exchanges;
                await UnitAsync(store, lease, "trips", "trips:rebuild", isRebuild: true, Position(1), Position(2));
                var shadow = proxy.Exchanges - before;

                before = proxy.Exchanges;
                await UnitAsync(store, lease, "trips", "trips", isRebuild: false, Position(1), Position(2));
                var live = proxy.Exchanges - before;

                // The proxy counts the server's ReadyForQuery messages: the BEGIN that Npgsql sends in the
                // same write as the first statement has its own. So: BEGIN, fence + move, commit. (Each fence,
                // set local synchronous_commit and move alone: 5 for the shadow, 4 for the live checkpoint.)
                Assert.Equal((3, 3), (shadow, live));
                Assert.Equal(Position(2), await LoadAsync(store, "trips:rebuild"));
                Assert.Equal(Position(2), await LoadAsync(store, "trips"));
            }
        }
    }

    [Fact]
    public async Task A_fence_on_a_lease_taken_over_refuses_the_commit_when_it_runs_with_the_checkpoint_move()
    {
        var (proxy, proxied, store) = await CreateAsync("uow_lost");
        await using (proxy)
        await using (proxied)
        {
            var first = await store.TryAcquireLeaseAsync("lost:rebuild", Ct);
            Assert.NotNull(first);
            await UnitAsync(store, first, "lost", "lost:rebuild", isRebuild: true, null, Position(1));
            await first.DisposeAsync();
            var second = await store.TryAcquireLeaseAsync("lost:rebuild", Ct);
            Assert.NotNull(second);
            await using (second)
            {
                // The daemon's order (fence, move, commit), on the stale lease: the move would succeed, the commit must not.
                await Assert.ThrowsAsync<LeaseLostException>(() => UnitAsync(store, first, "lost", "lost:rebuild", isRebuild: true, Position(1), Position(2)));
                Assert.Equal(Position(1), await LoadAsync(store, "lost:rebuild"));

                // A move that conflicts too: the lost lease is what the caller hears of.
                await Assert.ThrowsAsync<LeaseLostException>(() => UnitAsync(store, first, "lost", "lost:rebuild", isRebuild: true, Position(7), Position(8)));

                await UnitAsync(store, second, "lost", "lost:rebuild", isRebuild: true, Position(1), Position(3));
                Assert.Equal(Position(3), await LoadAsync(store, "lost:rebuild"));

                // A fence with no move after it runs before the commit, and refuses it as well.
                var stale = await store.BeginAsync("lost", isRebuild: true, Ct);
                await using (stale)
                {
                    await stale.FenceAsync(first, Ct);
                    await Assert.ThrowsAsync<LeaseLostException>(() => stale.CommitAsync(Ct).AsTask());
                }
            }
        }
    }

    private static GlobalPosition Position(long minor) => GlobalPosition.FromParts(1, minor);

    private static async Task UnitAsync(PostgresProjectionStore store, ProjectionLease lease, string projection, string checkpoint, bool isRebuild, GlobalPosition? expected, GlobalPosition position)
    {
        var tx = await store.BeginAsync(projection, isRebuild, Ct);
        await using (tx)
        {
            await tx.FenceAsync(lease, Ct);
            await tx.SaveCheckpointAsync(checkpoint, expected, position, Ct);
            await tx.CommitAsync(Ct);
        }
    }

    private static async Task<GlobalPosition?> LoadAsync(PostgresProjectionStore store, string checkpoint)
    {
        var tx = await store.BeginAsync("check", isRebuild: false, Ct);
        await using (tx)
        {
            return await tx.LoadCheckpointAsync(checkpoint, Ct);
        }
    }

    private async Task<(LostReplyProxy Proxy, NpgsqlDataSource Proxied, PostgresProjectionStore Store)> CreateAsync(string hint)
    {
        var options = await fixture.CreateSchemaAsync(hint);
        options.ProjectionLeaseDuration = TimeSpan.FromMinutes(10); // no renewal during the test
        var proxy = new LostReplyProxy(fixture.ConnectionString);
        var builder = new NpgsqlDataSourceBuilder(proxy.ConnectionString);
        builder.ConnectionStringBuilder.MaxPoolSize = 1;
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        var proxied = builder.Build();
        return (proxy, proxied, new PostgresProjectionStore(proxied, TestSupport.NewRegistry(), options));
    }
}
