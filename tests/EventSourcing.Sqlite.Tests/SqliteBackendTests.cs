using System.Globalization;
using EventSourcing.Projections;
using EventSourcing.Storage;
using EventSourcing.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

using Xunit;

namespace EventSourcing.Sqlite.Tests;

/// <summary>What the kit cannot check: the file, other processes, the write lock, the DI wiring.</summary>
public sealed class SqliteBackendTests : IAsyncLifetime
{
    private TempDatabase _database = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _database = await TempDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Appended_events_survive_closing_and_reopening_the_file()
    {
        var stream = TestData.NewStream();
        var events = TestData.Increments(3);
        AppendResult appended;
        await using (var first = new SqliteEventStore(_database.Options(), TestData.NewRegistry()))
        {
            appended = await first.AppendAsync(stream, ExpectedVersion.NoStream, events, Ct);
        }

        SqliteConnection.ClearAllPools();
        await using var reopened = new SqliteEventStore(_database.Options(), TestData.NewRegistry());
        var read = await ToListAsync(reopened.ReadStreamAsync(stream, cancellationToken: Ct));

        Assert.Equal(events.Select(e => e.EventId), read.Select(e => e.EventId));
        Assert.Equal(appended.Position, read[^1].Position);
        Assert.Equal(appended.Position, await reopened.GetHeadPositionAsync(Ct));
        var next = await reopened.AppendAsync(stream, ExpectedVersion.Exactly(3), TestData.Increments(1), Ct);
        Assert.Equal(4, next.NextExpectedVersion);
        Assert.True(next.Position > appended.Position);
    }

    [Fact]
    public async Task The_database_is_in_WAL_mode_with_durable_commits()
    {
        await using var store = _database.Own(new SqliteEventStore(_database.Options(), TestData.NewRegistry()));
        await store.AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, TestData.Increments(1), Ct);

        await using var connection = new SqliteConnection($"Data Source={_database.FilePath}");
        await connection.OpenAsync(Ct);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync(Ct));
        command.CommandText = "PRAGMA user_version";
        Assert.Equal((long)SqliteSchemaInitializer.LatestVersion, await command.ExecuteScalarAsync(Ct));
        Assert.True(File.Exists(_database.FilePath + "-wal"));
    }

    [Fact]
    public async Task A_writer_that_finds_the_database_locked_waits_for_the_lock_then_appends_after_the_holder()
    {
        var store = _database.Own(new SqliteEventStore(_database.Options(), TestData.NewRegistry()));
        var stream = TestData.NewStream();
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(1), Ct);

        // Another connection (as another process would) takes the write lock and appends a row by hand.
        await using var holder = new SqliteConnection($"Data Source={_database.FilePath};Pooling=False");
        await holder.OpenAsync(Ct);
        var transaction = holder.BeginTransaction(deferred: false);
        using (var insert = holder.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "UPDATE streams SET version = 2 WHERE stream_id = $s; INSERT INTO events (stream_id, version, event_id, event_type, data, created_at) VALUES ($s, 2, randomblob(16), 'incremented', CAST('{\"by\":7}' AS BLOB), 0)";
            insert.Parameters.AddWithValue("$s", stream.Value);
            await insert.ExecuteNonQueryAsync(Ct);
        }

        // Run on its own: a writer waiting for another connection's lock blocks its thread in SQLite's busy handler.
        var waiting = Task.Run(() => store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1, 100), Ct).AsTask(), Ct);
        await Task.Delay(300, Ct);
        Assert.False(waiting.IsCompleted, "The append went ahead while another connection held the write lock: " + (waiting.IsFaulted ? waiting.Exception.ToString() : "completed"));

        transaction.Commit();
        var result = await waiting;

        Assert.Equal(3, result.NextExpectedVersion);
        var read = await ToListAsync(store.ReadStreamAsync(stream, cancellationToken: Ct));
        Assert.Equal([1, 7, 100], read.Select(e => ((Incremented)e.Event).By));
        Assert.True(read[1].Position < read[2].Position);
    }

    [Fact]
    public async Task A_writer_that_cannot_get_the_lock_within_the_busy_timeout_fails_with_nothing_written()
    {
        var store = _database.Own(new SqliteEventStore(_database.Options(TimeSpan.FromMilliseconds(200)), TestData.NewRegistry()));
        var stream = TestData.NewStream();
        await using var holder = new SqliteConnection($"Data Source={_database.FilePath};Pooling=False");
        await holder.OpenAsync(Ct);
        using var transaction = holder.BeginTransaction(deferred: false);
        using (var take = holder.CreateCommand())
        {
            // BEGIN IMMEDIATE takes the lock lazily in Microsoft.Data.Sqlite's transaction: touch the database.
            take.Transaction = transaction;
            take.CommandText = "INSERT INTO checkpoints (name, major, minor) VALUES ('lock', 0, 0)";
            await take.ExecuteNonQueryAsync(Ct);
        }

        var ex = await Assert.ThrowsAsync<EventStoreException>(() => store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1), Ct).AsTask());

        Assert.Contains("busy timeout", ex.Message, StringComparison.Ordinal);
        transaction.Rollback();
        Assert.Equal(0, await store.GetStreamVersionAsync(stream, Ct));
        Assert.Equal(1, (await store.AppendAsync(stream, ExpectedVersion.Any, TestData.Increments(1), Ct)).NextExpectedVersion);
    }

    [Fact]
    public async Task Two_processes_appending_to_one_file_keep_one_gap_free_log_with_every_stream_in_version_order()
    {
        const int PerProcess = 120;
        var shared = TestData.NewStream("shared");
        var mine = TestData.NewStream("parent");
        var theirs = TestData.NewStream("child");
        var store = _database.Own(new SqliteEventStore(_database.Options(), TestData.NewRegistry()));
        var acknowledged = new List<(Guid Id, string Stream, long Version, GlobalPosition Position)>();
        using var child = AppenderChildProcess.Start(_database.FilePath, theirs.Value, shared.Value, PerProcess);
        try
        {
            Assert.Equal("ready", await child.StandardOutput.ReadLineAsync(Ct));

            // Both processes start behind a lock held here, so they contend for it from their first append.
            await using var holder = new SqliteConnection($"Data Source={_database.FilePath};Pooling=False");
            await holder.OpenAsync(Ct);
            var gate = holder.BeginTransaction(deferred: false);
            using (var take = holder.CreateCommand())
            {
                take.Transaction = gate;
                take.CommandText = "INSERT INTO checkpoints (name, major, minor) VALUES ('gate', 0, 0)";
                await take.ExecuteNonQueryAsync(Ct);
            }

            await child.StandardInput.WriteLineAsync("go");
            await child.StandardInput.FlushAsync(Ct);
            var parent = Task.Run(async () =>
            {
                var acks = new List<(Guid, string, long, GlobalPosition)>();
                for (var i = 0; i < PerProcess; i++)
                {
                    var stream = i % 2 == 0 ? mine : shared;
                    var e = new EventData(new Incremented(i + 1));
                    var result = await store.AppendAsync(stream, ExpectedVersion.Any, [e], Ct);
                    acks.Add((e.EventId, stream.Value, result.NextExpectedVersion, result.Position));
                }

                return acks;
            }, Ct);
            await Task.Delay(200, Ct);
            Assert.False(parent.IsCompleted);
            gate.Rollback();

            acknowledged.AddRange(await parent);
            string? line;
            while ((line = await child.StandardOutput.ReadLineAsync(Ct)) is not null)
            {
                var parts = line.Split(' ');
                Assert.Equal("ack", parts[0]);
                acknowledged.Add((Guid.Parse(parts[1]), parts[2], long.Parse(parts[3], CultureInfo.InvariantCulture), GlobalPosition.Parse(parts[4])));
            }

            await child.WaitForExitAsync(Ct);
            Assert.True(child.ExitCode == 0, await child.StandardError.ReadToEndAsync(Ct));
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }
        }

        var log = await ToListAsync(store.ReadAllAsync(GlobalPosition.Start, cancellationToken: Ct));

        // Total and gap-free: positions 1..n, each acknowledged event exactly once, where it was acknowledged.
        Assert.Equal(2 * PerProcess, log.Count);
        Assert.Equal(Enumerable.Range(1, log.Count).Select(p => GlobalPosition.FromParts(0, p)), log.Select(e => e.Position));
        var byId = log.ToDictionary(e => e.EventId);
        Assert.Equal(2 * PerProcess, acknowledged.Count);
        foreach (var (id, stream, version, position) in acknowledged)
        {
            var stored = byId[id];
            Assert.Equal(stream, stored.StreamId.Value);
            Assert.Equal(version, stored.StreamVersion);
            Assert.Equal(position, stored.Position);
        }

        // Per stream, the global log holds versions 1, 2, 3 … in order: the shared stream too.
        foreach (var group in log.GroupBy(e => e.StreamId))
        {
            Assert.Equal(Enumerable.Range(1, group.Count()).Select(v => (long)v), group.Select(e => e.StreamVersion));
        }

        Assert.Equal(PerProcess, log.Count(e => e.StreamId == shared));
    }

    [Fact]
    public async Task Reading_backwards_returns_the_newest_events_first_within_the_bounds()
    {
        var store = _database.Own(new SqliteEventStore(_database.Options(), TestData.NewRegistry()));
        var stream = TestData.NewStream();
        await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(5000), Ct);

        var all = await ToListAsync(store.ReadStreamBackwardsAsync(stream, cancellationToken: Ct));
        Assert.Equal(Enumerable.Range(1, 5000).Reverse().Select(v => (long)v), all.Select(e => e.StreamVersion));
        Assert.Equal([4L, 3L], (await ToListAsync(store.ReadStreamBackwardsAsync(stream, 4, 2, Ct))).Select(e => e.StreamVersion));
        Assert.Equal([5000L], (await ToListAsync(store.ReadStreamBackwardsAsync(stream, long.MaxValue, 1, Ct))).Select(e => e.StreamVersion));
        Assert.Empty(await ToListAsync(store.ReadStreamBackwardsAsync(stream, 3, 0, Ct)));
        Assert.Empty(await ToListAsync(store.ReadStreamBackwardsAsync(TestData.NewStream(), cancellationToken: Ct)));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ReadStreamBackwardsAsync(stream, 0, 1, Ct));
    }

    [Fact]
    public async Task Stored_events_cannot_be_changed_or_deleted()
    {
        var store = _database.Own(new SqliteEventStore(_database.Options(), TestData.NewRegistry()));
        await store.AppendAsync(TestData.NewStream(), ExpectedVersion.NoStream, TestData.Increments(1), Ct);
        await using var connection = new SqliteConnection($"Data Source={_database.FilePath};Pooling=False");
        await connection.OpenAsync(Ct);
        using var command = connection.CreateCommand();

        command.CommandText = "UPDATE events SET data = CAST('{}' AS BLOB)";
        Assert.Contains("immutable", Assert.Throws<SqliteException>(() => command.ExecuteNonQuery()).Message, StringComparison.Ordinal);
        command.CommandText = "DELETE FROM events";
        Assert.Contains("immutable", Assert.Throws<SqliteException>(() => command.ExecuteNonQuery()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseSqlite_applies_the_schema_at_start_and_an_inline_projection_writes_in_the_appends_transaction()
    {
        var directory = Path.Combine(_database.Directory, "di");
        var file = Path.Combine(directory, "app.db");
        var services = new ServiceCollection();
        services.AddEventSourcing(es => es
            .UseJsonOptions(ConformanceJsonContext.Default.Options)
            .AddEvent<Incremented>("incremented")
            .AddProjection(new SqlTotals(), ProjectionMode.Inline)
            .UseSqlite(o => o.FilePath = file));
        await using var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(Ct);
        }

        try
        {
            var store = provider.GetRequiredService<IEventStore>();
            Assert.IsType<SqliteEventStore>(store);
            Assert.IsType<SqliteProjectionStore>(provider.GetRequiredService<IProjectionStore>());
            var stream = TestData.NewStream();
            await store.AppendAsync(stream, ExpectedVersion.NoStream, TestData.Increments(3), Ct);
            await Assert.ThrowsAsync<InvalidOperationException>(() => store.AppendAsync(stream, ExpectedVersion.Exactly(3), [new EventData(new Incremented(SqlTotals.Poison))], Ct).AsTask());

            await using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            await connection.OpenAsync(Ct);
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT total FROM totals WHERE stream_id = $s";
            command.Parameters.AddWithValue("$s", stream.Value);
            Assert.Equal(6L, await command.ExecuteScalarAsync(Ct));
            Assert.Equal(3, await store.GetStreamVersionAsync(stream, Ct));
        }
        finally
        {
            foreach (var hosted in provider.GetServices<IHostedService>().Reverse())
            {
                await hosted.StopAsync(CancellationToken.None);
            }
        }
    }

    [Fact]
    public void Options_without_a_file_are_refused_with_a_clear_message()
    {
        Assert.Contains("neither", Assert.Throws<ArgumentException>(() => new SqliteOptions().Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("only one", Assert.Throws<ArgumentException>(() => new SqliteOptions { FilePath = "a.db", ConnectionString = "Data Source=b.db" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("in-memory", Assert.Throws<ArgumentException>(() => new SqliteOptions { ConnectionString = "Data Source=:memory:" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("in-memory", Assert.Throws<ArgumentException>(() => new SqliteOptions { ConnectionString = "Data Source=x;Mode=Memory" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new SqliteOptions { FilePath = "a.db", BusyTimeout = TimeSpan.Zero }.Validate());
    }

    private static async Task<List<EventEnvelope>> ToListAsync(IAsyncEnumerable<EventEnvelope> events)
    {
        var list = new List<EventEnvelope>();
        await foreach (var e in events)
        {
            list.Add(e);
        }

        return list;
    }

    /// <summary>An inline projection that keeps per-stream totals in a table of the same database.</summary>
    private sealed class SqlTotals : IProjection
    {
        public const int Poison = 13;

        public string Name => "sql-totals";

        public IReadOnlyCollection<string> EventTypes { get; } = ["incremented"];

        public async ValueTask ProjectAsync(EventEnvelope envelope, ProjectionContext context, CancellationToken cancellationToken = default)
        {
            var sqlite = (SqliteProjectionContext)context;
            var by = ((Incremented)envelope.Event).By;
            using var command = sqlite.Connection.CreateCommand();
            command.Transaction = sqlite.Transaction;
            command.CommandText = """
                CREATE TABLE IF NOT EXISTS totals (stream_id TEXT PRIMARY KEY, total INTEGER NOT NULL);
                INSERT INTO totals (stream_id, total) VALUES ($s, $by) ON CONFLICT (stream_id) DO UPDATE SET total = total + excluded.total;
                """;
            command.Parameters.AddWithValue("$s", envelope.StreamId.Value);
            command.Parameters.AddWithValue("$by", by);
            await command.ExecuteNonQueryAsync(cancellationToken);
            if (by == Poison)
            {
                throw new InvalidOperationException("Poison amount 13");
            }
        }
    }
}
