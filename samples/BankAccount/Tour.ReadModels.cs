using System.Globalization;
using BankAccount.Domain;
using BankAccount.Domain.ReadModels;
using EventSourcing;
using EventSourcing.Projections;
using Spectre.Console;

namespace BankAccount;

public sealed partial class Tour
{
    private async Task ShowReadModelsAsync()
    {
        Section("9. Read models: current state inline, analytics and audit log async");
        var tuesday = Start.AddDays(1);
        _clock.Advance(tuesday - _clock.GetUtcNow());
        await DoAsync("alice", "payroll", a => a.Deposit(2_000m));
        await DoAsync("bob", "bob", a => a.Withdraw(60m));
        _console.WriteLine($"{tuesday.ToString("ddd yyyy-MM-dd", CultureInfo.InvariantCulture)}: Alice's salary arrives; Bob pays 60.00 EUR rent.");

        // The current state was updated inside each append; the async read models catch up in the daemon.
        var head = await HeadAsync();
        await _daemon.WaitForPositionAsync(BankReadModels.Analytics, head);
        await _daemon.WaitForPositionAsync(BankReadModels.AuditLog, head);
        _console.WriteLine($"The daemon caught up; lag: analytics {await _daemon.GetLagAsync(BankReadModels.Analytics)}, audit log {await _daemon.GetLagAsync(BankReadModels.AuditLog)} events.");

        var accounts = new Table { Title = new TableTitle("Current state (inline documents)") }.AddColumns("Account", "Owner", "Version", "Balance", "Status");
        foreach (var a in await _accountQueries.ListAccountsAsync())
        {
            accounts.AddRow(a.AccountId, Markup.Escape(a.Owner), $"{a.Version}", Money.Format(a.Balance, a.Currency), a.Status == AccountStatus.Open ? "open" : "closed");
        }

        _console.Write(accounts);
        _console.Write(await TotalsTableAsync());
        _console.Write(await DailyTableAsync());

        var page = await _auditLog.GetPageAsync("bob", afterVersion: 0, limit: 5);
        var audit = new Table { Title = new TableTitle($"Audit log of bob: {page.Entries.Count} of {page.Total} entries") }
            .AddColumns("v", "When", "Who", "What", "Correlation");
        foreach (var e in page.Entries)
        {
            audit.AddRow($"{e.StreamVersion}", Day(e.Timestamp) + " " + Time(e.Timestamp), Markup.Escape(e.User), Markup.Escape(e.Description), Markup.Escape(e.CorrelationId ?? "-"));
        }

        _console.Write(audit);
        _console.WriteLine(page.NextAfterVersion is { } next
            ? $"The next page starts after v{next} (keyset paging by stream version)."
            : "That is the whole log.");
    }

    private async Task<bool> ShowRebuildAsync()
    {
        Section("10. Rebuild the analytics read model while it keeps serving");
        var totalsBefore = await _analytics.GetTotalsAsync();
        var daysBefore = await _analytics.GetDailyVolumeAsync();
        _console.WriteLine("The rebuild projects the whole log into a shadow copy, then swaps it in;");
        _console.WriteLine("until the swap, queries read the live copy.");

        long read;
        if (_console.Profile.Capabilities.Interactive && _console.Profile.Capabilities.Ansi)
        {
            read = await _console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(BankReadModels.Analytics);
                    var progress = new SyncProgress<RebuildProgress>(p =>
                    {
                        task.MaxValue = Math.Max(1, p.EventsTotal);
                        task.Value = p.EventsDone;
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"{p.Projection}: {p.EventsDone}/{p.EventsTotal} events, {p.EventsPerSecond:#,0} events/s");
                    });
                    return await _daemon.RebuildAsync(BankReadModels.Analytics, progress);
                });
        }
        else
        {
            // Redirected output: one plain line per batch, without rates, so the text is the same on every run.
            var last = -1L;
            var progress = new SyncProgress<RebuildProgress>(p =>
            {
                if (p.EventsDone != last)
                {
                    last = p.EventsDone;
                    _console.WriteLine($"  rebuilding {p.Projection}: {p.EventsDone}/{p.EventsTotal} events");
                }
            });
            read = await _daemon.RebuildAsync(BankReadModels.Analytics, progress);
        }

        var same = (await _analytics.GetTotalsAsync()).SequenceEqual(totalsBefore) && (await _analytics.GetDailyVolumeAsync()).SequenceEqual(daysBefore);
        _console.WriteLine($"Rebuilt from the {read} events it handles; status {_daemon.GetStatus(BankReadModels.Analytics).State}.");
        if (!same)
        {
            _console.MarkupLine("[red]The rebuilt read model DIFFERS from the one it replaced.[/]");
            _console.Write(await TotalsTableAsync());
            return false;
        }

        _console.WriteLine("The rebuilt read model equals the one it replaced.");
        return true;
    }

    private async Task<Table> TotalsTableAsync()
    {
        var table = new Table { Title = new TableTitle("Analytics: totals (async)") }.AddColumns("Currency", "Accounts", "Deposited", "Withdrawn", "Transactions");
        foreach (var t in await _analytics.GetTotalsAsync())
        {
            table.AddRow(t.Currency, $"{t.Accounts}", Money.Format(t.Deposited, t.Currency), Money.Format(t.Withdrawn, t.Currency), $"{t.TransactionCount}");
        }

        return table;
    }

    private async Task<Table> DailyTableAsync()
    {
        var table = new Table { Title = new TableTitle("Analytics: daily volume (async)") }.AddColumns("Day", "Currency", "Deposited", "Withdrawn", "Transactions");
        foreach (var d in await _analytics.GetDailyVolumeAsync())
        {
            table.AddRow(d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Currency, Money.Format(d.Deposited, d.Currency), Money.Format(d.Withdrawn, d.Currency), $"{d.TransactionCount}");
        }

        return table;
    }

    private async Task<GlobalPosition> HeadAsync()
    {
        var head = GlobalPosition.Start;
        await foreach (var e in _store.ReadAllAsync(GlobalPosition.Start))
        {
            head = e.Position;
        }

        return head;
    }

    private static string Day(DateTimeOffset time) => time.ToString("ddd", CultureInfo.InvariantCulture);
}
