using EventSourcing.Testing;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

public sealed class ImmutabilityTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Theory]
    [InlineData("update {0}.events set event_type = 'rewritten'")]
    [InlineData("update {0}.events set data = '{{\"by\":1000}}' where version = 1")]
    [InlineData("delete from {0}.events")]
    [InlineData("delete from {0}.events where version = 2")]
    [InlineData("truncate {0}.events")]
    [InlineData("truncate {0}.events cascade")]
    public async Task The_owner_cannot_update_delete_or_truncate_events(string statement)
    {
        var options = await fixture.SchemaForAsync(GetType());
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var stream = TestData.NewStream("immutable");
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);
        var before = await store.ReadStreamListAsync(stream);

        var error = await Assert.ThrowsAsync<PostgresException>(() => fixture.DataSource.ExecuteAsync(string.Format(statement, $"\"{options.Schema}\"")));

        Assert.Equal("ES403", error.SqlState);
        var after = await store.ReadStreamListAsync(stream);
        Assert.Equal(before.Select(e => (e.EventId, e.StreamVersion, e.EventType, ((Incremented)e.Event).By)), after.Select(e => (e.EventId, e.StreamVersion, e.EventType, ((Incremented)e.Event).By)));
    }

    [Fact]
    public async Task The_documented_application_role_can_append_and_read_but_not_change_events()
    {
        var options = await fixture.SchemaForAsync(GetType());
        var role = "es_app_" + Guid.NewGuid().ToString("N")[..8];
        var password = Guid.NewGuid().ToString("N");
        await fixture.DataSource.ExecuteAsync($"create role {role} login password '{password}'");
        try
        {
            await fixture.DataSource.ExecuteAsync(new PostgresSchemaInitializer(fixture.DataSource, options).GetGrantScript(role));
            var appConnection = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Username = role, Password = password }.ConnectionString;
            await using var app = NpgsqlDataSource.Create(appConnection);
            var registry = TestSupport.NewRegistry();
            var store = new PostgresEventStore(app, registry, options);
            var snapshots = new PostgresSnapshotStore(app, options);
            var checkpoints = new PostgresCheckpointStore(app, options);
            var stream = TestData.NewStream("app-role");

            await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(2), Ct);
            await store.AppendAsync(stream, ExpectedVersion.Exactly(2), TestData.Increments(1), Ct);
            await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1), Ct);
            Assert.Equal(4, (await store.ReadStreamListAsync(stream)).Count);
            Assert.NotEmpty(await store.ReadAllListAsync(GlobalPosition.Start));
            await snapshots.SaveAsync(new Storage.Snapshot(stream, 4, "counter", 1, "{}"u8.ToArray(), DateTimeOffset.UnixEpoch), Ct);
            await snapshots.DeleteAsync(stream, Ct);
            await checkpoints.SaveAsync("app-role", null, GlobalPosition.FromParts(1, 1), Ct);
            await checkpoints.SaveAsync("app-role", GlobalPosition.FromParts(1, 1), GlobalPosition.FromParts(2, 2), Ct);
            await new PostgresSchemaInitializer(app, options).VerifyAsync(Ct);
            var projections = new PostgresProjectionStore(app, TestData.NewRegistry(), options);
            var read = await store.ReadStreamListAsync(stream);
            await using (var unit = await projections.BeginAsync("app-projection", isRebuild: false, Ct))
            {
                await unit.DeadLetterAsync(read[0], new InvalidOperationException("poison"), Ct);
                await unit.SaveCheckpointAsync("app-projection", null, read[0].Position, Ct);
                await unit.CommitAsync(Ct);
            }

            Assert.Single(await projections.GetDeadLettersAsync("app-projection", Ct));
            await using (var lease = await projections.TryAcquireLeaseAsync("app-projection", Ct))
            {
                Assert.NotNull(lease);
            }

            Assert.True(await projections.CountEventsAsync(cancellationToken: Ct) >= 4);

            foreach (var statement in new[] { "update {0}.events set event_type = 'x'", "delete from {0}.events", "truncate {0}.events" })
            {
                var denied = await Assert.ThrowsAsync<PostgresException>(() => app.ExecuteAsync(string.Format(statement, $"\"{options.Schema}\"")));
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
            }

            Assert.Equal(4, (await store.ReadStreamListAsync(stream)).Count);
        }
        finally
        {
            await fixture.DataSource.ExecuteAsync($"drop owned by {role}; drop role {role}");
        }
    }
}
