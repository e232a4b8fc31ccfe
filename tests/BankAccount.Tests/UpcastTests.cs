using System.Text.Json;
using BankAccount.Domain;
using BankAccount.Domain.Events;
using EventSourcing;
using EventSourcing.Aggregates;
using EventSourcing.InMemory;
using EventSourcing.Serialization;

namespace BankAccount.Tests;

public sealed class UpcastTests
{
    [Fact]
    public void A_v1_deposit_becomes_a_deposit_in_the_legacy_currency() =>
        Assert.Equal(new MoneyDeposited(75m, "EUR"), BankEvents.Upcast(new MoneyDepositedV1(75m)));

    [Fact]
    public void A_v1_payload_as_release_1_stored_it_reads_through_the_generated_context()
    {
        var old = JsonSerializer.Deserialize("""{"amount":75.5}""", BankJsonContext.Default.MoneyDepositedV1);
        Assert.Equal(new MoneyDeposited(75.5m, "EUR"), BankEvents.Upcast(old!));
        Assert.Equal("""{"amount":75.5,"currency":"EUR"}""", JsonSerializer.Serialize(new MoneyDeposited(75.5m, "EUR"), BankJsonContext.Default.MoneyDeposited));
    }

    [Fact]
    public void Event_names_are_explicit_and_v1_deposits_read_as_deposits()
    {
        var registry = BankEvents.Register(new EventTypeRegistry());
        Assert.Equal("account-opened", registry.GetName(typeof(AccountOpened)));
        Assert.Equal("money-deposited", registry.GetName(typeof(MoneyDeposited)));
        Assert.Equal("money-withdrawn", registry.GetName(typeof(MoneyWithdrawn)));
        Assert.Equal("account-closed", registry.GetName(typeof(AccountClosed)));
        Assert.Equal(["money-deposited", "money-deposited.v1"], registry.GetStoredNames("money-deposited").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_stored_v1_deposit_reads_back_as_the_current_event_and_the_account_loads()
    {
        var ct = TestContext.Current.CancellationToken;
        var registry = BankEvents.Register(new EventTypeRegistry());
        var store = new InMemoryEventStore(registry);
        var stream = Account.StreamFor("dave");

        // Given what release 1 wrote: an opening and a deposit without a currency.
        await store.AppendAsync(stream, ExpectedVersion.NoStream, [new EventData(new AccountOpened("dave", "Dave", "EUR")), new EventData(new MoneyDepositedV1(75m))], ct);

        var read = await store.ReadStreamAsync(stream, 2, 1, ct).SingleAsync(ct);
        Assert.Equal("money-deposited", read.EventType);
        Assert.Equal(new MoneyDeposited(75m, "EUR"), read.Event);

        var account = await new AggregateRepository<Account>(store, registry).LoadAsync(stream, ct);
        Assert.Equal((75m, 2L), (account.Balance, account.Version));
    }
}
