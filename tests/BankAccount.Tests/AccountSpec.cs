using BankAccount.Domain;
using BankAccount.Domain.Events;
using EventSourcing;
using EventSourcing.Aggregates;
using EventSourcing.InMemory;
using EventSourcing.Serialization;

namespace BankAccount.Tests;

/// <summary>Given events (stored, then loaded), when a command runs, then these events (or this refusal).</summary>
internal static class AccountSpec
{
    public static readonly StreamId Stream = Account.StreamFor("acc-1");

    public static readonly AccountOpened Opened = new("acc-1", "Alice", "EUR");

    public static MoneyDeposited Deposited(decimal amount) => new(amount, "EUR");

    /// <summary>Stores the events in a fresh in-memory store and loads the account from them.</summary>
    public static async Task<Account> Given(params object[] events)
    {
        var registry = BankEvents.Register(new EventTypeRegistry());
        var store = new InMemoryEventStore(registry);
        if (events.Length > 0)
        {
            await store.AppendAsync(Stream, ExpectedVersion.NoStream, [.. events.Select(e => new EventData(e))], TestContext.Current.CancellationToken);
        }

        return await new AggregateRepository<Account>(store, registry).LoadAsync(Stream, TestContext.Current.CancellationToken);
    }

    /// <summary>The command raised exactly these events, in order.</summary>
    public static void Then(Account account, params object[] expected) =>
        Assert.Equal(expected, account.UncommittedEvents.Select(e => e.Event));

    /// <summary>The command was refused with this code and raised nothing.</summary>
    public static void ThenRefused(Account account, Action<Account> command, string code)
    {
        var versionBefore = account.Version;
        var error = Assert.Throws<AccountRuleException>(() => command(account));
        Assert.Equal(code, error.Code);
        Assert.Empty(account.UncommittedEvents);
        Assert.Equal(versionBefore, account.Version);
    }
}
