using System.Globalization;
using BankAccount.Domain;
using BankAccount.Domain.ReadModels;
using EventSourcing;
using EventSourcing.Aggregates;
using EventSourcing.InMemory;
using EventSourcing.Projections;
using EventSourcing.Serialization;
using EventSourcing.Storage;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace BankAccount;

/// <summary>
/// A guided tour of the bank-account domain on the in-memory store: accounts, rules, concurrency,
/// snapshots, temporal queries, upcasting, event histories, the three read models and a rebuild. Run it with
/// <c>dotnet run --project samples/BankAccount</c>.
/// </summary>
public sealed partial class Tour
{
    /// <summary>When the tour's clock starts: Monday 6 January 2025, 09:00 UTC. Each command moves it 5 minutes.</summary>
    public static readonly DateTimeOffset Start = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    private const int SnapshotEvery = 10;

    /// <summary>Small batches, so the rebuild of the tour's few events reports progress a few times.</summary>
    private const int RebuildBatchSize = 10;

    private readonly IAnsiConsole _console;
    private readonly ManualClock _clock;
    private readonly ReadCountingEventStore _store;
    private readonly ISnapshotStore _snapshots;
    private readonly EventTypeRegistry _registry;
    private readonly AggregateRepository<Account> _accounts;
    private readonly ProjectionDaemon _daemon;
    private readonly IAccountQueries _accountQueries;
    private readonly IAnalyticsQueries _analytics;
    private readonly IAuditLogQueries _auditLog;
    private int _requests;

    private Tour(IAnsiConsole console, ManualClock clock, IServiceProvider services)
    {
        _console = console;
        _clock = clock;
        _store = services.GetRequiredService<ReadCountingEventStore>();
        _snapshots = services.GetRequiredService<ISnapshotStore>();
        _registry = services.GetRequiredService<EventTypeRegistry>();
        _accounts = services.GetRequiredService<AggregateRepository<Account>>();
        _daemon = services.GetRequiredService<ProjectionDaemon>();
        _accountQueries = services.GetRequiredService<IAccountQueries>();
        _analytics = services.GetRequiredService<IAnalyticsQueries>();
        _auditLog = services.GetRequiredService<IAuditLogQueries>();
    }

    /// <summary>Runs the tour, writing to <paramref name="console"/>.</summary>
    /// <param name="console">Where the tour is shown.</param>
    /// <returns>0 when every step showed what it should, 1 otherwise.</returns>
    public static async Task<int> RunAsync(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var clock = new ManualClock(Start);
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(clock)
            // Wrap the container's in-memory store (the one that runs the inline projections) to count what
            // loads read; without these two lines AddEventSourcing uses the plain store.
            .AddSingleton(sp => new ReadCountingEventStore(sp.GetRequiredService<InMemoryEventStore>()))
            .AddSingleton<IEventStore>(sp => sp.GetRequiredService<ReadCountingEventStore>());
        services.AddEventSourcing(es =>
        {
            es.AddBankEvents().AddBankReadModels().UseSnapshots(SnapshotPolicy.Every(SnapshotEvery));
            es.ProjectionOptions.BatchSize = RebuildBatchSize;
        });
        await using var provider = services.BuildServiceProvider();

        // The async read models run in the projection daemon, a hosted service; with no host here, start it directly.
        var daemon = provider.GetRequiredService<ProjectionDaemon>();
        await daemon.StartAsync(CancellationToken.None);
        try
        {
            return await new Tour(console, clock, provider).RunStepsAsync() ? 0 : 1;
        }
        finally
        {
            await daemon.StopAsync(CancellationToken.None);
        }
    }

    private async Task<bool> RunStepsAsync()
    {
        _console.Write(new Rule("[bold]EventSourcing: bank-account tour[/]").LeftJustified());
        _console.WriteLine("In-memory store, no set-up; a snapshot every " + SnapshotEvery + " events.");
        _console.WriteLine($"The clock starts at {Start.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC and moves 5 minutes per command.");
        await OpenAccountsAsync();
        await MoveMoneyAsync();
        await ShowRulesAsync();
        await ShowConcurrencyAsync();
        await ShowSnapshotsAsync();
        await ShowTemporalQueriesAsync();
        if (!await ShowUpcastingAsync())
        {
            return false;
        }

        await ShowHistoriesAsync("alice", "bob", "carol", "dave");
        await ShowReadModelsAsync();
        if (!await ShowRebuildAsync())
        {
            return false;
        }

        _console.WriteLine();
        _console.Write(new Rule("[green]Tour complete[/]").LeftJustified());
        return true;
    }

    private async Task OpenAccountsAsync()
    {
        Section("1. Open accounts");
        await DoAsync("alice", "alice", a => { a.Open("alice", "Alice", "EUR"); a.Deposit(1_000m); });
        await DoAsync("bob", "bob", a => { a.Open("bob", "Bob", "EUR"); a.Deposit(200m); });
        await DoAsync("carol", "carol", a => { a.Open("carol", "Carol", "USD"); a.Deposit(50m); });
        _console.WriteLine("One command per account raises two events, appended atomically.");
        await ShowBalancesAsync("alice", "bob", "carol");
    }

    private async Task MoveMoneyAsync()
    {
        Section("2. Move money");
        var transfer = NextRequestId();
        await DoAsync("alice", "alice", a => a.Withdraw(250m), transfer);
        await DoAsync("bob", "alice", a => a.Deposit(250m, "EUR"), transfer);
        await DoAsync("bob", "bob", a => a.Withdraw(40m));
        _console.WriteLine($"Alice sent Bob 250.00 EUR: two streams, one correlation id ({transfer}).");
        _console.WriteLine("Then Bob took out 40.00 EUR.");
        await ShowBalancesAsync("alice", "bob");
    }

    private async Task ShowRulesAsync()
    {
        Section("3. Rules are enforced");
        await DoAsync("carol", "carol", a => { a.Withdraw(50m); a.Close("moving abroad"); });
        _console.WriteLine("Carol emptied and closed her account. Now, commands that break the rules:");
        var table = new Table().AddColumns("Command", "Refused with", "Message");
        var written = 0L;
        written += await TryAsync(table, "Bob withdraws 5,000.00 EUR", "bob", a => a.Withdraw(5_000m));
        written += await TryAsync(table, "Bob deposits -20.00 EUR", "bob", a => a.Deposit(-20m));
        written += await TryAsync(table, "Bob deposits 10.00 USD", "bob", a => a.Deposit(10m, "USD"));
        written += await TryAsync(table, "Carol deposits 10.00 USD", "carol", a => a.Deposit(10m));
        written += await TryAsync(table, "Alice opens her account again", "alice", a => a.Open("alice", "Alice", "EUR"));
        _console.Write(table);
        _console.WriteLine($"Events written by refused commands: {written}.");
    }

    private async Task<long> TryAsync(Table table, string command, string accountId, Action<Account> action)
    {
        var before = await _store.GetStreamVersionAsync(Account.StreamFor(accountId));
        try
        {
            await DoAsync(accountId, accountId, action);
            table.AddRow(Markup.Escape(command), "[red]nothing: accepted[/]", string.Empty);
        }
        catch (AccountRuleException ex)
        {
            table.AddRow(Markup.Escape(command), Markup.Escape(ex.Code), Markup.Escape(ex.Message));
        }

        return await _store.GetStreamVersionAsync(Account.StreamFor(accountId)) - before;
    }

    private async Task ShowConcurrencyAsync()
    {
        Section("4. Concurrency conflicts are caught");
        var bob = Account.StreamFor("bob");
        var teller = await _accounts.LoadAsync(bob);
        var app = await _accounts.LoadAsync(bob);
        _console.WriteLine($"A teller and Bob's mobile app both load his account at v{teller.Version}.");
        _clock.Advance(TimeSpan.FromMinutes(5));
        teller.Deposit(20m);
        await _accounts.SaveAsync(bob, teller, Meta("teller"));
        _console.WriteLine($"The teller deposits 20.00 EUR and saves first: v{teller.Version}.");
        app.Withdraw(30m);
        try
        {
            await _accounts.SaveAsync(bob, app, Meta("bob"));
            _console.MarkupLine("[red]The app's save went through: the conflict was missed.[/]");
        }
        catch (WrongExpectedVersionException ex)
        {
            _console.WriteLine("The app's save is refused with WrongExpectedVersionException:");
            _console.WriteLine($"  stream {ex.StreamId}, expected v{ex.Expected}, actual v{ex.ActualVersion}.");
        }

        // ExecuteAsync loads, runs the command and saves; on a conflict it reloads and runs the command again.
        // To force one conflict, another deposit is saved between the first attempt's load and save.
        var interloper = await _accounts.LoadAsync(bob);
        interloper.Deposit(5m);
        var runs = 0;
        var result = await DoAsync("bob", "bob", a =>
        {
            if (++runs == 1)
            {
                // The in-memory store completes synchronously, so blocking here is safe in this demo.
                _accounts.SaveAsync(bob, interloper, Meta("teller")).GetAwaiter().GetResult();
            }

            a.Withdraw(30m);
        });
        _console.WriteLine($"The app retries with ExecuteAsync: the command ran {runs} times (a 5.00 EUR deposit");
        _console.WriteLine($"won the first race); the withdrawal is saved at v{result.Version}, balance {Money.Format(result.Balance, result.Currency)}.");
    }

    private async Task<Account> DoAsync(string accountId, string user, Action<Account> command, string? correlationId = null)
    {
        _clock.Advance(TimeSpan.FromMinutes(5));
        return await _accounts.ExecuteAsync(Account.StreamFor(accountId), command, Meta(user, correlationId));
    }

    private EventMetadata Meta(string user, string? correlationId = null) => new()
    {
        CorrelationId = correlationId ?? NextRequestId(),
        Headers = new Dictionary<string, string> { ["user"] = user },
    };

    private string NextRequestId() => string.Create(CultureInfo.InvariantCulture, $"req-{++_requests:000}");
}
