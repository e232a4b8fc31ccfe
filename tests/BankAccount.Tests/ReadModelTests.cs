using BankAccount.Domain;
using BankAccount.Domain.Events;
using BankAccount.Domain.ReadModels;
using EventSourcing;
using EventSourcing.Aggregates;
using EventSourcing.Projections;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace BankAccount.Tests;

/// <summary>The three read models over the in-memory store, registered as the samples register them.</summary>
public sealed class ReadModelTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Monday = new(2025, 1, 6, 23, 0, 0, TimeSpan.Zero);
    private readonly ManualClock _clock = new(Monday);
    private ServiceProvider _services = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private AggregateRepository<Account> Accounts => _services.GetRequiredService<AggregateRepository<Account>>();

    private ProjectionDaemon Daemon => _services.GetRequiredService<ProjectionDaemon>();

    public async ValueTask InitializeAsync()
    {
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_clock);
        services.AddEventSourcing(es =>
        {
            es.AddBankEvents().AddBankReadModels();
            es.ProjectionOptions.BatchSize = 16;
            es.ProjectionOptions.PollInterval = TimeSpan.FromMilliseconds(20);
        });
        _services = services.BuildServiceProvider();
        await Daemon.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await Daemon.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task The_current_state_is_written_inside_the_append_and_equals_the_aggregate()
    {
        var queries = _services.GetRequiredService<IAccountQueries>();
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var id = $"acc-{random.Next(5)}";
            await Run(id, a =>
            {
                if (!a.IsOpened)
                {
                    a.Open(id, "Owner " + id, random.Next(2) == 0 ? "EUR" : "USD");
                }
                else if (random.Next(3) == 0 && a.Balance > 0)
                {
                    a.Withdraw(Math.Min(a.Balance, random.Next(1, 50)));
                }
                else
                {
                    a.Deposit(random.Next(1, 100) / 4m);
                }
            });

            // Inline: no waiting, the read model already has this command's events.
            var account = await Accounts.LoadAsync(Account.StreamFor(id), Ct);
            var view = await queries.GetAccountAsync(id, Ct);
            Assert.Equal(new AccountView(id, account.Owner, account.Currency, account.Balance, AccountStatus.Open, account.Version, view!.OpenedAt, view.UpdatedAt), view);
        }

        await Run("acc-0", a => a.Close("done"));
        Assert.Equal(AccountStatus.Closed, (await queries.GetAccountAsync("acc-0", Ct))!.Status);
        Assert.Equal(["acc-0", "acc-1", "acc-2", "acc-3", "acc-4"], (await queries.ListAccountsAsync(Ct)).Select(a => a.AccountId));
        Assert.Null(await queries.GetAccountAsync("nobody", Ct));
    }

    [Fact]
    public async Task Redelivered_events_change_nothing()
    {
        await Run("a", a => { a.Open("a", "Ann", "EUR"); a.Deposit(10m); });
        await Run("a", a => a.Withdraw(4m));
        await Run("a", a => a.Close("bye"));
        await CatchUpAsync();

        var current = _services.GetRequiredService<CurrentStateView>();
        var analytics = _services.GetRequiredService<AnalyticsProjection>();
        var audit = _services.GetRequiredService<AuditLogProjection>();
        var before = await SnapshotAsync("a");

        // At-least-once delivery: the whole stream again, out of the daemon's hands, in a unit of work
        // of the projection store (the current state's documents are written through its session).
        var redelivery = await _services.GetRequiredService<IProjectionStore>().BeginAsync("test", isRebuild: false, Ct);
        await using (redelivery)
        {
            await foreach (var e in _services.GetRequiredService<IEventStore>().ReadStreamAsync(Account.StreamFor("a"), cancellationToken: Ct))
            {
                foreach (var projection in new IProjection[] { current, analytics, audit }.Where(p => p.EventTypes.Contains(e.EventType)))
                {
                    await projection.ProjectAsync(e, redelivery.Context, Ct);
                }
            }

            await redelivery.CommitAsync(Ct);
        }

        Assert.Equal(before, await SnapshotAsync("a"));
    }

    [Fact]
    public async Task The_analytics_keep_currencies_apart_and_bucket_by_UTC_day()
    {
        await Run("e", a => { a.Open("e", "Eve", "EUR"); a.Deposit(100m); });
        await Run("u", a => { a.Open("u", "Uma", "USD"); a.Deposit(30m); });
        _clock.Advance(TimeSpan.FromHours(2)); // past midnight UTC: Tuesday
        await Run("e", a => a.Withdraw(40m));
        await Run("e", a => a.Deposit(5m));

        // A deposit written by release 1 (no currency) is upcast, and counted like any other.
        await _services.GetRequiredService<IEventStore>().AppendAsync(Account.StreamFor("e"), ExpectedVersion.Exactly(4), new MoneyDepositedV1(1m), cancellationToken: Ct);
        await CatchUpAsync();

        var analytics = _services.GetRequiredService<IAnalyticsQueries>();
        Assert.Equal(
            [new CurrencyTotals("EUR", 106m, 40m, 4, 1), new CurrencyTotals("USD", 30m, 0m, 1, 1)],
            await analytics.GetTotalsAsync(Ct));
        Assert.Equal(
            [
                new DailyVolume(new DateOnly(2025, 1, 6), "EUR", 100m, 0m, 1),
                new DailyVolume(new DateOnly(2025, 1, 6), "USD", 30m, 0m, 1),
                new DailyVolume(new DateOnly(2025, 1, 7), "EUR", 6m, 40m, 3),
            ],
            await analytics.GetDailyVolumeAsync(cancellationToken: Ct));
        Assert.Single(await analytics.GetDailyVolumeAsync(new DateOnly(2025, 1, 7), null, Ct));
        Assert.Equal(new AccountTotals("e", "EUR", 106m, 40m, 4), await analytics.GetAccountTotalsAsync("e", Ct));
        Assert.Null(await analytics.GetAccountTotalsAsync("nobody", Ct));
    }

    [Fact]
    public async Task The_audit_log_says_who_did_what_and_when_and_pages_by_version()
    {
        await Run("p", a => a.Open("p", "Pat", "EUR"), user: "clerk", correlation: "c-1");
        for (var i = 1; i <= 5; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
            await Run("p", a => a.Deposit(i), user: $"user-{i}", correlation: $"c-{i + 1}");
        }

        await _services.GetRequiredService<IEventStore>().AppendAsync(Account.StreamFor("p"), ExpectedVersion.Exactly(6), new MoneyWithdrawn(2m), cancellationToken: Ct);
        await CatchUpAsync();

        var audit = _services.GetRequiredService<IAuditLogQueries>();
        var first = await audit.GetPageAsync("p", 0, 3, Ct);
        Assert.Equal((7L, 3L), (first.Total, first.NextAfterVersion!.Value));
        Assert.Equal(new AuditEntry("p", 1, "account-opened", "opened for Pat in EUR", null, "EUR", "clerk", "c-1", Monday, first.Entries[0].EventId), first.Entries[0]);
        Assert.Equal(["clerk", "user-1", "user-2"], first.Entries.Select(e => e.User));

        var last = await audit.GetPageAsync("p", 6, 3, Ct);
        Assert.Null(last.NextAfterVersion);
        var withdrawal = Assert.Single(last.Entries);
        Assert.Equal((BankMetadata.UnknownUser, (string?)null, 2m, "withdrawal of 2.00 EUR"), (withdrawal.User, withdrawal.CorrelationId, withdrawal.Amount, withdrawal.Description));
        Assert.Equal(Monday.AddMinutes(5), (await audit.GetPageAsync("p", 5, 1, Ct)).Entries[0].Timestamp);
        Assert.Empty((await audit.GetPageAsync("nobody", 0, 10, Ct)).Entries);
    }

    [Theory]
    [InlineData(BankReadModels.Analytics)]
    [InlineData(BankReadModels.AuditLog)]
    public async Task A_rebuild_during_concurrent_commands_ends_equal_to_the_incremental_read_model(string projection)
    {
        for (var i = 0; i < 20; i++)
        {
            await Run($"r{i}", a => { a.Open($"r{i}", "R", "EUR"); a.Deposit(100m); });
        }

        await CatchUpAsync();

        // Bounded writers, so the rebuild (which reads until it finds no newer event) always gets to the end.
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var n = 0; n < 60; n++)
            {
                await Run($"r{(w * 5) + (n % 5)}", a => a.Withdraw(0.01m));
                await Task.Yield();
            }
        }, Ct)).ToList();

        var reports = new List<RebuildProgress>();
        await Daemon.RebuildAsync(projection, new Progress(reports), Ct);
        await Task.WhenAll(writers);
        await CatchUpAsync();

        Assert.NotEmpty(reports);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.EventsDone <= p.Second.EventsDone));

        // The rebuilt-then-followed read model equals a fresh projection of the whole log.
        var fresh = new ServiceCollection();
        fresh.AddEventSourcing(es => es.AddBankEvents().AddBankReadModels());
        await using var freshServices = fresh.BuildServiceProvider();
        var context = new ProjectionContext("fresh", isRebuild: false);
        var freshAnalytics = freshServices.GetRequiredService<AnalyticsProjection>();
        var freshAudit = freshServices.GetRequiredService<AuditLogProjection>();
        await foreach (var e in _services.GetRequiredService<IEventStore>().ReadAllAsync(GlobalPosition.Start, cancellationToken: Ct))
        {
            if (freshAnalytics.EventTypes.Contains(e.EventType))
            {
                await freshAnalytics.ProjectAsync(e, context, Ct);
            }

            await freshAudit.ProjectAsync(e, context, Ct);
        }

        Assert.Equal(await freshAnalytics.GetTotalsAsync(Ct), await _services.GetRequiredService<IAnalyticsQueries>().GetTotalsAsync(Ct));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(await freshAnalytics.GetAccountTotalsAsync($"r{i}", Ct), await _services.GetRequiredService<IAnalyticsQueries>().GetAccountTotalsAsync($"r{i}", Ct));
            var expected = await freshAudit.GetPageAsync($"r{i}", 0, 10_000, Ct);
            var actual = await _services.GetRequiredService<IAuditLogQueries>().GetPageAsync($"r{i}", 0, 10_000, Ct);
            Assert.Equal(expected.Entries, actual.Entries);
        }
    }

    private async Task Run(string id, Action<Account> command, string user = "tester", string? correlation = null)
    {
        var metadata = new EventMetadata
        {
            CorrelationId = correlation,
            Headers = new Dictionary<string, string> { [BankMetadata.UserHeader] = user },
        };
        await Accounts.ExecuteAsync(Account.StreamFor(id), command, metadata, Ct);
    }

    /// <summary>Waits until each async read model has the last event of the types it handles.</summary>
    private async Task CatchUpAsync()
    {
        foreach (var projection in new IProjection[] { _services.GetRequiredService<AnalyticsProjection>(), _services.GetRequiredService<AuditLogProjection>() })
        {
            var head = GlobalPosition.Start;
            await foreach (var e in _services.GetRequiredService<IEventStore>().ReadAllAsync(GlobalPosition.Start, cancellationToken: Ct))
            {
                head = projection.EventTypes.Contains(e.EventType) ? e.Position : head;
            }

            await Daemon.WaitForPositionAsync(projection.Name, head, Ct);
        }
    }

    private async Task<string> SnapshotAsync(string id)
    {
        var view = await _services.GetRequiredService<IAccountQueries>().GetAccountAsync(id, Ct);
        var totals = await _services.GetRequiredService<IAnalyticsQueries>().GetTotalsAsync(Ct);
        var days = await _services.GetRequiredService<IAnalyticsQueries>().GetDailyVolumeAsync(cancellationToken: Ct);
        var page = await _services.GetRequiredService<IAuditLogQueries>().GetPageAsync(id, 0, 100, Ct);
        return string.Join("\n", [view!.ToString(), .. totals.Select(t => t.ToString()), .. days.Select(d => d.ToString()), .. page.Entries.Select(e => e.ToString())]);
    }

    /// <summary>Collects progress reports in order, on the reporting thread.</summary>
    private sealed class Progress(List<RebuildProgress> reports) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
