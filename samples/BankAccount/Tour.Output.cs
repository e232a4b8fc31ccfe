using System.Globalization;
using BankAccount.Domain;
using BankAccount.Domain.Events;
using Spectre.Console;

namespace BankAccount;

public sealed partial class Tour
{
    private async Task ShowBalancesAsync(params string[] accountIds)
    {
        var table = new Table().AddColumns("Account", "Owner", "Version", "Balance", "Status");
        foreach (var id in accountIds)
        {
            var a = await _accounts.LoadAsync(Account.StreamFor(id));
            table.AddRow(id, Markup.Escape(a.Owner), $"{a.Version}", Money.Format(a.Balance, a.Currency), a.IsClosed ? "closed" : "open");
        }

        _console.Write(table);
    }

    private async Task ShowHistoriesAsync(params string[] accountIds)
    {
        Section("8. Event histories");
        foreach (var id in accountIds)
        {
            var stream = Account.StreamFor(id);
            var table = new Table { Title = new TableTitle(stream.Value) }.AddColumns("v", "Event", "Details", "Time", "Correlation", "User");
            var currency = string.Empty;
            await foreach (var e in _store.ReadStreamAsync(stream))
            {
                currency = e.Event is AccountOpened opened ? opened.Currency : currency;
                table.AddRow(
                    $"{e.StreamVersion}",
                    Markup.Escape(e.EventType),
                    Markup.Escape(Describe(e.Event, currency)),
                    Time(e.Timestamp),
                    Markup.Escape(e.Metadata.CorrelationId ?? "-"),
                    Markup.Escape(e.Metadata.Headers.GetValueOrDefault("user", "-")));
            }

            _console.Write(table);
        }
    }

    private static string Describe(object @event, string currency) => @event switch
    {
        AccountOpened e => $"{e.Owner}, {e.Currency}",
        MoneyDeposited e => "+" + Money.Format(e.Amount, e.Currency),
        MoneyWithdrawn e => "-" + Money.Format(e.Amount, currency),
        AccountClosed e => e.Reason,
        _ => @event.GetType().Name,
    };

    private void Section(string title)
    {
        _console.WriteLine();
        _console.Write(new Rule($"[yellow]{Markup.Escape(title)}[/]").LeftJustified());
    }

    private static string Time(DateTimeOffset time) => time.ToString("HH:mm", CultureInfo.InvariantCulture);
}
