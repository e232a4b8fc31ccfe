using System.Text.Json;
using BankAccount.Domain;
using CsCheck;
using EventSourcing;
using EventSourcing.Aggregates;
using EventSourcing.InMemory;
using EventSourcing.Serialization;

namespace BankAccount.Tests;

public sealed class SnapshotTests
{
    private static readonly StreamId Id = Account.StreamFor("acc-1");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Snapshot_plus_tail_equals_full_replay_and_reads_only_the_tail()
    {
        var bank = new Bank(snapshotEvery: 10);
        await bank.WithSnapshots.ExecuteAsync(Id, a => { a.Open("acc-1", "Alice", "EUR"); a.Deposit(500m); }, cancellationToken: Ct);
        for (var i = 1; i <= 22; i++)
        {
            var amount = i * 1.5m;
            await bank.WithSnapshots.ExecuteAsync(
                Id,
                a =>
                {
                    if (i % 3 == 0)
                    {
                        a.Withdraw(amount);
                    }
                    else
                    {
                        a.Deposit(amount);
                    }
                },
                cancellationToken: Ct);
        }

        var snapshot = await bank.Snapshots.LoadAsync(Id, Ct);
        Assert.NotNull(snapshot);
        Assert.Equal((20L, "account", 1), (snapshot.Version, snapshot.StateType, snapshot.SchemaVersion));

        bank.Store.Reset();
        var restored = await bank.WithSnapshots.LoadAsync(Id, Ct);
        Assert.Equal(4, bank.Store.EventsRead); // v21..v24 on top of the snapshot
        var replayed = await bank.ReplayOnly.LoadAsync(Id, Ct);
        Assert.Equal(24, replayed.Version);
        Assert.Equal(State(replayed), State(restored));

        // The stored state is the source-generated JSON of the account at v20.
        var atTwenty = await bank.ReplayOnly.LoadAtVersionAsync(Id, 20, Ct);
        var stored = JsonSerializer.Deserialize(snapshot.State.Span, BankJsonContext.Default.AccountSnapshot);
        Assert.Equal(new AccountSnapshot("acc-1", "Alice", "EUR", atTwenty.Balance, IsClosed: false), stored);
    }

    [Fact]
    public async Task A_closed_account_stays_closed_through_a_snapshot()
    {
        var bank = new Bank(snapshotEvery: 2);
        await bank.WithSnapshots.ExecuteAsync(Id, a => { a.Open("acc-1", "Alice", "EUR"); a.Deposit(10m); }, cancellationToken: Ct);
        await bank.WithSnapshots.ExecuteAsync(Id, a => { a.Withdraw(10m); a.Close("moved"); }, cancellationToken: Ct);

        bank.Store.Reset();
        var restored = await bank.WithSnapshots.LoadAsync(Id, Ct);
        Assert.Equal(0, bank.Store.EventsRead);
        Assert.Equal(("Alice", 0m, true, 4L), (restored.Owner, restored.Balance, restored.IsClosed, restored.Version));
        Assert.Throws<AccountRuleException>(() => restored.Deposit(1m));
    }

    [Fact]
    public async Task Loads_with_snapshots_and_at_every_version_equal_a_replay_of_the_prefix()
    {
        var commands = Gen.Select(Gen.Bool, Gen.Int[1, 100_000]).Array[1, 40];
        await commands.SampleAsync(
            async steps =>
            {
                var bank = new Bank(snapshotEvery: 4);
                await bank.WithSnapshots.ExecuteAsync(Id, a => a.Open("acc-1", "Alice", "EUR"), cancellationToken: Ct);
                List<decimal> balanceAt = [0m, 0m]; // index = version
                foreach (var (deposit, cents) in steps)
                {
                    var amount = cents / 100m;
                    var balance = balanceAt[^1];
                    if (!deposit && amount > balance)
                    {
                        continue; // the account would refuse it
                    }

                    await bank.WithSnapshots.ExecuteAsync(
                        Id,
                        a =>
                        {
                            if (deposit)
                            {
                                a.Deposit(amount);
                            }
                            else
                            {
                                a.Withdraw(amount);
                            }
                        },
                        cancellationToken: Ct);
                    balanceAt.Add(deposit ? balance + amount : balance - amount);
                }

                Assert.Equal(State(await bank.ReplayOnly.LoadAsync(Id, Ct)), State(await bank.WithSnapshots.LoadAsync(Id, Ct)));
                for (var version = 0; version < balanceAt.Count; version++)
                {
                    var past = await bank.WithSnapshots.LoadAtVersionAsync(Id, version, Ct);
                    Assert.Equal((version, balanceAt[version]), ((int)past.Version, past.Balance));
                }
            },
            iter: 100);
    }

    [Fact]
    public async Task Balance_as_of_a_time_counts_the_events_up_to_that_time()
    {
        var clock = new ManualClock(Tour.Start);
        var bank = new Bank(snapshotEvery: 2, clock);
        await bank.WithSnapshots.ExecuteAsync(Id, a => { a.Open("acc-1", "Alice", "EUR"); a.Deposit(100m); }, cancellationToken: Ct); // 09:00, v1-v2
        clock.Advance(TimeSpan.FromHours(1));
        await bank.WithSnapshots.ExecuteAsync(Id, a => a.Withdraw(30m), cancellationToken: Ct); // 10:00, v3
        clock.Advance(TimeSpan.FromHours(1));
        await bank.WithSnapshots.ExecuteAsync(Id, a => a.Deposit(5m), cancellationToken: Ct); // 11:00, v4 (snapshot)

        Assert.Equal(0L, (await bank.WithSnapshots.LoadAsOfAsync(Id, Tour.Start.AddMinutes(-1), Ct)).Version);
        Assert.Equal(100m, (await bank.WithSnapshots.LoadAsOfAsync(Id, Tour.Start.AddMinutes(59), Ct)).Balance);
        Assert.Equal(70m, (await bank.WithSnapshots.LoadAsOfAsync(Id, Tour.Start.AddHours(1), Ct)).Balance);
        Assert.Equal(75m, (await bank.WithSnapshots.LoadAsOfAsync(Id, Tour.Start.AddHours(5), Ct)).Balance);
    }

    private static (string Id, string Owner, string Currency, decimal Balance, bool IsClosed, long Version) State(Account a) =>
        (a.Id, a.Owner, a.Currency, a.Balance, a.IsClosed, a.Version);

    /// <summary>One in-memory store seen by two repositories: one with snapshots, one that always replays.</summary>
    private sealed class Bank
    {
        public Bank(int snapshotEvery, TimeProvider? time = null)
        {
            var registry = BankEvents.Register(new EventTypeRegistry());
            Store = new ReadCountingEventStore(new InMemoryEventStore(registry, time));
            var options = new RepositoryOptions { Snapshots = SnapshotPolicy.Every(snapshotEvery) };
            WithSnapshots = new AggregateRepository<Account>(Store, registry, Snapshots, options, timeProvider: time);
            ReplayOnly = new AggregateRepository<Account>(Store, registry);
        }

        public ReadCountingEventStore Store { get; }

        public InMemorySnapshotStore Snapshots { get; } = new();

        public AggregateRepository<Account> WithSnapshots { get; }

        public AggregateRepository<Account> ReplayOnly { get; }
    }
}
