using BankAccount.Domain;
using BankAccount.Domain.Events;
using EventSourcing;
using EventSourcing.Aggregates;
using Spectre.Console;

namespace BankAccount;

public sealed partial class Tour
{
    private static readonly decimal[] CardPayments = [3.80m, 12.50m, 42.00m, 7.25m, 64.90m, 3.80m, 18.00m, 120.00m, 9.99m];

    private async Task ShowSnapshotsAsync()
    {
        Section("5. Snapshots keep long streams cheap to load");
        var alice = Account.StreamFor("alice");
        foreach (var amount in CardPayments)
        {
            await DoAsync("alice", "alice", a => a.Withdraw(amount));
        }

        var snapshot = await _snapshots.LoadAsync(alice);
        _console.WriteLine($"Alice paid {CardPayments.Length} card bills; the save that crossed v{SnapshotEvery} stored a snapshot:");
        _console.WriteLine(snapshot is null
            ? "  none!"
            : $"  version {snapshot.Version}, type '{snapshot.StateType}', schema v{snapshot.SchemaVersion}, taken at {Time(snapshot.Timestamp)}.");

        _store.Reset();
        var fromSnapshot = await _accounts.LoadAsync(alice);
        var tailRead = _store.EventsRead;
        _store.Reset();
        var replayed = await new AggregateRepository<Account>(_store, _registry).LoadAsync(alice); // no snapshot store: full replay
        var table = new Table().AddColumns("Load", "Events read", "Version", "Balance");
        table.AddRow("snapshot + tail", $"{tailRead}", $"{fromSnapshot.Version}", Money.Format(fromSnapshot.Balance, fromSnapshot.Currency));
        table.AddRow("full replay", $"{_store.EventsRead}", $"{replayed.Version}", Money.Format(replayed.Balance, replayed.Currency));
        _console.Write(table);
        var same = (fromSnapshot.Version, fromSnapshot.Balance, fromSnapshot.Owner, fromSnapshot.IsClosed) == (replayed.Version, replayed.Balance, replayed.Owner, replayed.IsClosed);
        _console.WriteLine(same ? "Both loads give the same account." : "The loads DISAGREE.");
    }

    private async Task ShowTemporalQueriesAsync()
    {
        Section("6. Temporal queries: what was Alice's balance then?");
        var alice = Account.StreamFor("alice");
        var table = new Table().AddColumns("Question", "Version", "Balance", "Events read");
        foreach (var pointInTime in new[] { Start, Start.AddHours(1), Start.AddMinutes(105) })
        {
            _store.Reset();
            AddRow(table, $"as of {Time(pointInTime)}", await _accounts.LoadAsOfAsync(alice, pointInTime));
        }

        foreach (var version in new long[] { 2, SnapshotEvery, SnapshotEvery + 1 })
        {
            _store.Reset();
            AddRow(table, $"as of version {version}", await _accounts.LoadAtVersionAsync(alice, version));
        }

        _store.Reset();
        AddRow(table, $"now ({Time(_clock.GetUtcNow())})", await _accounts.LoadAsync(alice));
        _console.Write(table);
        _console.WriteLine($"Loads at or after v{SnapshotEvery} start from the snapshot; a load by time");
        _console.WriteLine("first reads the snapshot's last event to check its time.");

        void AddRow(Table t, string question, Account a) =>
            t.AddRow(question, $"{a.Version}", a.IsOpened ? Money.Format(a.Balance, a.Currency) : "not opened yet", $"{_store.EventsRead}");
    }

    private async Task<bool> ShowUpcastingAsync()
    {
        Section("7. Old events still read: upcasting");
        var dave = Account.StreamFor("dave");
        _clock.Advance(TimeSpan.FromMinutes(5));

        // What release 1 wrote: its deposit event had no currency, and is stored as "money-deposited.v1".
        var legacy = Meta("release-1");
        await _store.AppendAsync(dave, ExpectedVersion.NoStream, [new EventData(new AccountOpened("dave", "Dave", "EUR"), legacy), new EventData(new MoneyDepositedV1(75m), legacy)]);
        _console.WriteLine("Release 1 wrote Dave's account: account-opened, then");
        _console.WriteLine("money-deposited.v1 { amount: 75 }, which has no currency.");

        await foreach (var e in _store.ReadStreamAsync(dave, fromVersion: 2, maxCount: 1))
        {
            if (e.Event is not MoneyDeposited deposited)
            {
                _console.MarkupLineInterpolated($"[red]Read back as '{e.EventType}' ({e.Event.GetType().Name}): the store did not apply[/]");
                _console.MarkupLine("[red]the registered upcaster, so Account cannot load this stream. Stopping the tour.[/]");
                return false;
            }

            _console.WriteLine($"Read back today as {e.EventType}: {Money.Format(deposited.Amount, deposited.Currency)} (the upcaster added the currency).");
        }

        var account = await DoAsync("dave", "dave", a => a.Deposit(25m));
        _console.WriteLine($"Dave's account loads and takes deposits: v{account.Version}, balance {Money.Format(account.Balance, account.Currency)}.");
        return true;
    }
}
