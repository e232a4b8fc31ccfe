using BankAccount.Domain;
using BankAccount.Domain.Events;
using static BankAccount.Tests.AccountSpec;

namespace BankAccount.Tests;

public sealed class AccountCommandTests
{
    [Fact]
    public async Task Open_raises_AccountOpened()
    {
        var account = await Given();
        account.Open("acc-1", "Alice", "EUR");
        Then(account, new AccountOpened("acc-1", "Alice", "EUR"));
        Assert.Equal(("acc-1", "Alice", "EUR", 0m, 1L), (account.Id, account.Owner, account.Currency, account.Balance, account.Version));
    }

    [Fact]
    public async Task Deposit_raises_MoneyDeposited_in_the_account_currency()
    {
        var account = await Given(Opened);
        account.Deposit(100.25m);
        Then(account, new MoneyDeposited(100.25m, "EUR"));
        Assert.Equal(100.25m, account.Balance);
    }

    [Fact]
    public async Task Withdraw_raises_MoneyWithdrawn()
    {
        var account = await Given(Opened, Deposited(100m));
        account.Withdraw(30m);
        Then(account, new MoneyWithdrawn(30m));
        Assert.Equal(70m, account.Balance);
    }

    [Fact]
    public async Task Withdrawing_the_whole_balance_is_allowed()
    {
        var account = await Given(Opened, Deposited(100m), new MoneyWithdrawn(40m));
        account.Withdraw(60m);
        Then(account, new MoneyWithdrawn(60m));
        Assert.Equal(0m, account.Balance);
    }

    [Fact]
    public async Task Close_raises_AccountClosed()
    {
        var account = await Given(Opened, Deposited(5m));
        account.Close("customer request");
        Then(account, new AccountClosed("customer request"));
        Assert.True(account.IsClosed);
    }

    [Fact]
    public async Task Replay_folds_every_event_into_the_state()
    {
        var account = await Given(Opened, Deposited(100m), new MoneyWithdrawn(30m), Deposited(0.01m), new AccountClosed("done"));
        Assert.Equal(("Alice", 70.01m, true, 5L), (account.Owner, account.Balance, account.IsClosed, account.Version));
    }

    [Fact]
    public async Task Overdraft_is_refused()
    {
        var account = await Given(Opened, Deposited(100m));
        ThenRefused(account, a => a.Withdraw(100.01m), AccountErrorCodes.InsufficientFunds);
        Assert.Equal(100m, account.Balance);
    }

    [Theory]
    [InlineData("deposit")]
    [InlineData("withdraw")]
    [InlineData("close")]
    public async Task Nothing_happens_on_a_closed_account(string command)
    {
        var account = await Given(Opened, Deposited(10m), new AccountClosed("moved"));
        ThenRefused(account, Command(command), AccountErrorCodes.AccountClosed);
    }

    [Theory]
    [InlineData("deposit", 0)]
    [InlineData("deposit", -5)]
    [InlineData("withdraw", 0)]
    [InlineData("withdraw", -0.01)]
    public async Task Invalid_amounts_are_refused(string command, decimal amount)
    {
        var account = await Given(Opened, Deposited(10m));
        ThenRefused(account, Command(command, amount), AccountErrorCodes.InvalidAmount);
    }

    [Fact]
    public async Task An_account_is_opened_once()
    {
        var account = await Given(Opened);
        ThenRefused(account, a => a.Open("acc-1", "Mallory", "USD"), AccountErrorCodes.AlreadyOpen);
        Assert.Equal("Alice", account.Owner);
    }

    [Theory]
    [InlineData("deposit")]
    [InlineData("withdraw")]
    [InlineData("close")]
    public async Task Nothing_happens_before_the_account_is_opened(string command)
    {
        var account = await Given();
        ThenRefused(account, Command(command), AccountErrorCodes.NotFound);
    }

    [Fact]
    public async Task A_deposit_in_another_currency_is_refused()
    {
        var account = await Given(Opened);
        ThenRefused(account, a => a.Deposit(10m, "USD"), AccountErrorCodes.CurrencyMismatch);
    }

    [Theory]
    [InlineData("", "Alice", "EUR")]
    [InlineData("acc-1", " ", "EUR")]
    [InlineData("acc-1", "Alice", "eur")]
    [InlineData("acc-1", "Alice", "EURO")]
    public async Task Opening_needs_an_id_an_owner_and_a_currency_code(string id, string owner, string currency)
    {
        var account = await Given();
        ThenRefused(account, a => a.Open(id, owner, currency), AccountErrorCodes.InvalidDetails);
    }

    [Fact]
    public async Task The_error_message_says_what_was_refused()
    {
        var account = await Given(Opened, Deposited(1_000m));
        var error = Assert.Throws<AccountRuleException>(() => account.Withdraw(5_000m));
        Assert.Equal("Cannot withdraw 5,000.00 EUR from account acc-1: the balance is 1,000.00 EUR.", error.Message);
    }

    private static Action<Account> Command(string name, decimal amount = 1m) => name switch
    {
        "deposit" => a => a.Deposit(amount),
        "withdraw" => a => a.Withdraw(amount),
        "close" => a => a.Close("again"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
