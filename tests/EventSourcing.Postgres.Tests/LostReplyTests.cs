using EventSourcing.Testing;
using EventSourcing.Testing.Postgres;
using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

/// <summary>
/// A real lost reply: the append commits on the server but its answer never reaches the client (a
/// <see cref="LostReplyProxy"/> forwards the commit and drops the answer), so the caller sees an error
/// and cannot know the outcome. Retrying the same events (same ids) must then store them once.
/// </summary>
public sealed class LostReplyTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    /// <summary>A store whose only physical connection goes through the proxy, plus a direct store on the same schema.</summary>
    private async Task<(LostReplyProxy Proxy, NpgsqlDataSource Proxied, PostgresEventStore ThroughProxy, PostgresEventStore Direct)> ArrangeAsync()
    {
        var options = await fixture.CreateSchemaAsync("lost_reply");
        var proxy = new LostReplyProxy(fixture.ConnectionString);
        var builder = new NpgsqlDataSourceBuilder(proxy.ConnectionString);
        builder.ConnectionStringBuilder.MaxPoolSize = 1;
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        builder.ConnectionStringBuilder.ApplicationName = "es-lost-reply";
        var proxied = builder.Build();
        return (proxy, proxied, new PostgresEventStore(proxied, TestSupport.NewRegistry(), options), new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options));
    }

    /// <summary>Appends through the proxy with the drop armed: the call fails, and the proxy confirms it withheld a committed reply.</summary>
    private static async Task AppendAndLoseTheReplyAsync(LostReplyProxy proxy, PostgresEventStore throughProxy, StreamId stream, ExpectedVersion expected, EventData[] batch)
    {
        proxy.ArmDropAfterCommit();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => throughProxy.AppendAsync(stream, expected, batch, Ct).AsTask());
        Assert.True(error is NpgsqlException or IOException, error.ToString());
        Assert.Equal(1, proxy.Dropped);
        Assert.Equal(0, proxy.Armed);
    }

    private async Task<long> StoredCountAsync(PostgresEventStore direct, StreamId stream, EventData[] batch)
    {
        var read = await direct.ReadStreamListAsync(stream);
        var ids = batch.Select(e => e.EventId).ToHashSet();
        return read.Count(e => ids.Contains(e.EventId));
    }

    [Fact]
    public async Task The_proxy_loses_the_reply_of_a_committed_append_and_a_retry_at_the_same_exact_version_is_recognised()
    {
        var (proxy, proxied, throughProxy, direct) = await ArrangeAsync();
        await using var proxyScope = proxy;
        await using var proxiedScope = proxied;
        var stream = TestData.NewStream("lost");
        await throughProxy.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        var batch = TestData.Increments(1, 10);

        await AppendAndLoseTheReplyAsync(proxy, throughProxy, stream, ExpectedVersion.Exactly(1), batch);

        // Committed, although the caller was told nothing.
        Assert.Equal(1, await StoredCountAsync(direct, stream, batch));
        Assert.Equal(2, await direct.GetStreamVersionAsync(stream, Ct));

        var retry = await direct.AppendAsync(stream, ExpectedVersion.Exactly(1), batch, Ct);

        Assert.True(retry.AlreadyAppended);
        Assert.Equal(2, retry.NextExpectedVersion);
        var read = await direct.ReadStreamListAsync(stream);
        Assert.Equal([1L, 2L], read.Select(e => e.StreamVersion));
        Assert.Equal(batch[0].EventId, read[1].EventId);
        Assert.Equal(read[1].Position, retry.Position);

        // The pool replaced the broken connection: the proxied store works again.
        var next = await throughProxy.AppendAsync(stream, ExpectedVersion.Exactly(2), TestData.Increments(1, 20), Ct);
        Assert.Equal(3, next.NextExpectedVersion);
    }

    [Fact]
    public async Task A_retry_with_Any_after_another_writer_appended_is_recognised_and_stores_the_event_once()
    {
        var (proxy, proxied, throughProxy, direct) = await ArrangeAsync();
        await using var proxyScope = proxy;
        await using var proxiedScope = proxied;
        var stream = TestData.NewStream("lost-any");
        await throughProxy.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1), Ct);
        var deposit = TestData.Increments(1, 100);

        await AppendAndLoseTheReplyAsync(proxy, throughProxy, stream, ExpectedVersion.Any, deposit);
        Assert.Equal(1, await StoredCountAsync(direct, stream, deposit));

        // Another writer gets in before the retry: the deposit is no longer the stream's last event.
        await direct.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1, 200), Ct);

        var retry = await direct.AppendAsync(stream, ExpectedVersion.Any, deposit, Ct);

        Assert.True(retry.AlreadyAppended);
        Assert.Equal(2, retry.NextExpectedVersion);
        Assert.Equal(1, await StoredCountAsync(direct, stream, deposit));
        var read = await direct.ReadStreamListAsync(stream);
        Assert.Equal([1L, 2L, 3L], read.Select(e => e.StreamVersion));
        Assert.Equal(read[1].Position, retry.Position);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_multi_event_batch_whose_reply_was_lost_is_recognised_whole_on_retry(bool any)
    {
        var (proxy, proxied, throughProxy, direct) = await ArrangeAsync();
        await using var proxyScope = proxy;
        await using var proxiedScope = proxied;
        var stream = TestData.NewStream("lost-batch");
        await throughProxy.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(2), Ct);
        var batch = TestData.Increments(5, 10);
        var expected = any ? ExpectedVersion.Any : ExpectedVersion.Exactly(2);

        await AppendAndLoseTheReplyAsync(proxy, throughProxy, stream, expected, batch);
        Assert.Equal(5, await StoredCountAsync(direct, stream, batch));

        var retry = await direct.AppendAsync(stream, expected, batch, Ct);

        Assert.True(retry.AlreadyAppended);
        Assert.Equal(7, retry.NextExpectedVersion);
        var read = await direct.ReadStreamListAsync(stream);
        Assert.Equal(Enumerable.Range(1, 7).Select(v => (long)v), read.Select(e => e.StreamVersion));
        Assert.Equal(batch.Select(e => e.EventId), read.Skip(2).Select(e => e.EventId));
        Assert.Equal(read[^1].Position, retry.Position);
    }

    [Fact]
    public async Task A_disarmed_proxy_forwards_everything()
    {
        var (proxy, proxied, throughProxy, _) = await ArrangeAsync();
        await using var proxyScope = proxy;
        await using var proxiedScope = proxied;
        var stream = TestData.NewStream("forwarded");
        long version = 0;
        for (var i = 0; i < 20; i++)
        {
            version = (await throughProxy.AppendAsync(stream, ExpectedVersion.Exactly(version), TestData.Increments(1 + (i % 3), i), Ct)).NextExpectedVersion;
        }

        Assert.Equal(39, version);
        Assert.Equal(39, (await throughProxy.ReadStreamListAsync(stream)).Count);
        Assert.Equal(0, proxy.Dropped);
    }
}
