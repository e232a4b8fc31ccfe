using Npgsql;
using Xunit;

namespace EventSourcing.Postgres.Tests;

public sealed class SchemaInitializerTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestSupport.Ct;

    [Fact]
    public async Task Applying_twice_is_a_no_op_the_second_time()
    {
        var options = new PostgresOptions { Schema = PostgresFixture.NewSchemaName("twice") };
        var initializer = new PostgresSchemaInitializer(fixture.DataSource, options);

        await initializer.ApplyAsync(Ct);
        var first = await VersionsAsync(options.Schema);
        await initializer.ApplyAsync(Ct);
        var second = await VersionsAsync(options.Schema);

        Assert.Equal(PostgresSchemaInitializer.LatestVersion, first.Count);
        Assert.Equal(first, second);
        await initializer.VerifyAsync(Ct);
    }

    [Fact]
    public async Task Four_processes_applying_one_schema_at_once_all_succeed_and_apply_it_once()
    {
        var schema = PostgresFixture.NewSchemaName("four_processes");
        var children = Enumerable.Range(0, 4).Select(_ => SchemaChildProcess.Start(fixture.ConnectionString, schema)).ToArray();
        try
        {
            // Release them together, once every process is up and holds its initializer.
            foreach (var child in children)
            {
                Assert.Equal("ready", await child.StandardOutput.ReadLineAsync(Ct));
            }

            foreach (var child in children)
            {
                await child.StandardInput.WriteLineAsync("go");
                await child.StandardInput.FlushAsync(Ct);
            }

            foreach (var child in children)
            {
                var output = await child.StandardOutput.ReadToEndAsync(Ct);
                var errors = await child.StandardError.ReadToEndAsync(Ct);
                await child.WaitForExitAsync(Ct);
                Assert.True(child.ExitCode == 0, $"A child failed ({child.ExitCode}): {output} {errors}");
                Assert.Equal("applied", output.Trim());
            }
        }
        finally
        {
            foreach (var child in children)
            {
                if (!child.HasExited)
                {
                    child.Kill(entireProcessTree: true);
                }

                child.Dispose();
            }
        }

        var versions = await VersionsAsync(schema);
        Assert.Equal(Enumerable.Range(1, PostgresSchemaInitializer.LatestVersion), versions.Select(v => v.Version));
        var options = new PostgresOptions { Schema = schema };
        await new PostgresSchemaInitializer(fixture.DataSource, options).VerifyAsync(Ct);
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        var result = await store.AppendAsync(StreamId.From("after-migration"), ExpectedVersion.NoStream, EventSourcing.Testing.TestData.Increments(2), Ct);
        Assert.Equal(2, result.NextExpectedVersion);
    }

    [Fact]
    public async Task Verify_fails_fast_on_a_missing_schema_and_passes_once_applied()
    {
        var options = new PostgresOptions { Schema = PostgresFixture.NewSchemaName("verify"), SchemaMode = SchemaMode.None };
        var initializer = new PostgresSchemaInitializer(fixture.DataSource, options);

        var missing = await Assert.ThrowsAsync<EventStoreException>(() => initializer.VerifyAsync(Ct));
        Assert.Contains(options.Schema, missing.Message, StringComparison.Ordinal);
        Assert.Contains("CreateOrUpdate", missing.Message, StringComparison.Ordinal);
        Assert.Null(await fixture.DataSource.ScalarAsync("select nspname from pg_namespace where nspname = $1", options.Schema));

        await initializer.ApplyAsync(Ct);
        await initializer.VerifyAsync(Ct);
    }

    [Fact]
    public async Task Verify_reports_a_schema_that_is_behind()
    {
        var options = await fixture.CreateSchemaAsync("behind");
        await fixture.DataSource.ExecuteAsync($"delete from \"{options.Schema}\".schema_version where version = {PostgresSchemaInitializer.LatestVersion}");

        var behind = await Assert.ThrowsAsync<EventStoreException>(() => new PostgresSchemaInitializer(fixture.DataSource, options).VerifyAsync(Ct));

        Assert.Contains($"needs version {PostgresSchemaInitializer.LatestVersion}", behind.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_script_checksum_is_refused()
    {
        var options = await fixture.CreateSchemaAsync("checksum");
        await fixture.DataSource.ExecuteAsync($"update \"{options.Schema}\".schema_version set checksum = 'tampered' where version = 1");
        var initializer = new PostgresSchemaInitializer(fixture.DataSource, options);

        var apply = await Assert.ThrowsAsync<EventStoreException>(() => initializer.ApplyAsync(Ct));
        var verify = await Assert.ThrowsAsync<EventStoreException>(() => initializer.VerifyAsync(Ct));

        Assert.Contains("tampered", apply.Message, StringComparison.Ordinal);
        Assert.Contains("tampered", verify.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_script_for_a_DBA_creates_a_schema_that_verifies_and_works()
    {
        var options = new PostgresOptions { Schema = PostgresFixture.NewSchemaName("dba"), SchemaMode = SchemaMode.None };
        var initializer = new PostgresSchemaInitializer(fixture.DataSource, options);
        var script = initializer.GetScript();
        Assert.DoesNotContain("{schema}", script, StringComparison.Ordinal);

        await fixture.DataSource.ExecuteAsync(script);

        await initializer.VerifyAsync(Ct);
        await initializer.ApplyAsync(Ct);
        Assert.Equal(PostgresSchemaInitializer.LatestVersion, (await VersionsAsync(options.Schema)).Count);
        var store = new PostgresEventStore(fixture.DataSource, TestSupport.NewRegistry(), options);
        Assert.Equal(1, (await store.AppendAsync(StreamId.From("dba"), ExpectedVersion.Any, EventSourcing.Testing.TestData.Increments(1), Ct)).NextExpectedVersion);
    }

    public static TheoryData<string?> InvalidSchemaNames => new()
    {
        (string?)null, "", "Upper", "1starts_with_digit", "has-dash", "has space", "quote\"d", "x\"; drop schema public cascade; --",
        "trailing_newline\n", "ünïcode", new string('a', 64),
    };

    [Theory]
    [MemberData(nameof(InvalidSchemaNames))]
    public async Task An_invalid_schema_name_is_rejected_before_any_SQL_runs(string? schema)
    {
        // A data source that cannot connect: had any SQL been attempted, the error would be a connection failure.
        await using var unreachable = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody;Password=x;Timeout=1");
        var options = new PostgresOptions { Schema = schema!, ConnectionString = "Host=127.0.0.1;Port=1" };

        Assert.Contains("identifier", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PostgresEventStore(unreachable, TestSupport.NewRegistry(), options));
        Assert.Throws<ArgumentException>(() => new PostgresSnapshotStore(unreachable, options));
        Assert.Throws<ArgumentException>(() => new PostgresCheckpointStore(unreachable, options));
        Assert.Throws<ArgumentException>(() => new PostgresSchemaInitializer(unreachable, options));
        Assert.Equal(0L, await fixture.DataSource.ScalarAsync("select count(*) from pg_namespace where nspname = $1", schema ?? string.Empty));
    }

    [Theory]
    [InlineData("eventsourcing")]
    [InlineData("_es")]
    [InlineData("es_2")]
    public void Valid_schema_names_are_accepted(string schema) =>
        new PostgresOptions { Schema = schema, ConnectionString = "Host=localhost" }.Validate();

    private async Task<List<(int Version, string Checksum, DateTime AppliedAt)>> VersionsAsync(string schema)
    {
        var result = new List<(int, string, DateTime)>();
        await using var command = fixture.DataSource.CreateCommand($"select version, checksum, applied_at from \"{schema}\".schema_version order by version");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            result.Add((reader.GetInt32(0), reader.GetString(1), reader.GetDateTime(2)));
        }

        return result;
    }
}
