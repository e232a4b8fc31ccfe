using System.Globalization;
using BankAccount.Domain.Events;
using EventSourcing;
using EventSourcing.Aggregates;

namespace BankAccount.Domain;

/// <summary>
/// A bank account. Commands check the rules and raise events; <see cref="Apply"/> folds events into
/// the state. Rules: amounts are positive, no overdraft, nothing happens on a closed account, and an
/// account is opened once. A broken rule throws <see cref="AccountRuleException"/> and raises nothing.
/// </summary>
public sealed class Account : AggregateRoot<AccountSnapshot>
{
    /// <summary>The account's id; empty until opened.</summary>
    public string Id { get; private set; } = string.Empty;

    /// <summary>The account holder.</summary>
    public string Owner { get; private set; } = string.Empty;

    /// <summary>The ISO currency code of every amount on the account.</summary>
    public string Currency { get; private set; } = string.Empty;

    /// <summary>The balance, never negative.</summary>
    public decimal Balance { get; private set; }

    /// <summary>Whether the account was opened (and maybe closed since).</summary>
    public bool IsOpened => Id.Length > 0;

    /// <summary>Whether the account is closed.</summary>
    public bool IsClosed { get; private set; }

    /// <inheritdoc />
    protected override int SnapshotSchemaVersion => 1;

    /// <inheritdoc />
    protected override string SnapshotName => "account";

    /// <summary>The stream that holds an account's events.</summary>
    /// <param name="accountId">The account's id.</param>
    /// <returns>The stream id, "account-{id}".</returns>
    public static StreamId StreamFor(string accountId) => StreamId.From("account-" + accountId);

    /// <summary>Opens the account.</summary>
    /// <param name="accountId">The account's id.</param>
    /// <param name="owner">The account holder.</param>
    /// <param name="currency">A three-letter upper-case ISO currency code, e.g. "EUR".</param>
    /// <exception cref="AccountRuleException">The account exists, or a detail is missing or malformed.</exception>
    public void Open(string accountId, string owner, string currency)
    {
        if (IsOpened)
        {
            throw new AccountRuleException(AccountErrorCodes.AlreadyOpen, $"Account {Id} is already open.");
        }

        if (string.IsNullOrWhiteSpace(accountId) || string.IsNullOrWhiteSpace(owner)
            || currency is not { Length: 3 } || !currency.All(char.IsAsciiLetterUpper))
        {
            throw new AccountRuleException(AccountErrorCodes.InvalidDetails, "An account needs an id, an owner and a three-letter currency code such as EUR.");
        }

        Raise(new AccountOpened(accountId, owner, currency));
    }

    /// <summary>Pays money in.</summary>
    /// <param name="amount">The amount, positive.</param>
    /// <param name="currency">The amount's currency; the account's own when null.</param>
    /// <exception cref="AccountRuleException">The account is not open, the amount is not positive or has more decimals than the currency, or the currency differs.</exception>
    public void Deposit(decimal amount, string? currency = null)
    {
        EnsureOpen();
        EnsurePositive(amount);
        if (currency is not null && currency != Currency)
        {
            throw new AccountRuleException(AccountErrorCodes.CurrencyMismatch, $"Account {Id} holds {Currency}; cannot deposit {Money.Format(amount, currency)}.");
        }

        EnsureDecimals(amount);
        Raise(new MoneyDeposited(amount, Currency));
    }

    /// <summary>Takes money out.</summary>
    /// <param name="amount">The amount, positive and at most the balance.</param>
    /// <exception cref="AccountRuleException">The account is not open, the amount is not positive or has more decimals than the currency, or it exceeds the balance.</exception>
    public void Withdraw(decimal amount)
    {
        EnsureOpen();
        EnsurePositive(amount);
        EnsureDecimals(amount);
        if (amount > Balance)
        {
            throw new AccountRuleException(AccountErrorCodes.InsufficientFunds, $"Cannot withdraw {Money.Format(amount, Currency)} from account {Id}: the balance is {Money.Format(Balance, Currency)}.");
        }

        Raise(new MoneyWithdrawn(amount));
    }

    /// <summary>Closes the account.</summary>
    /// <param name="reason">Why.</param>
    /// <exception cref="AccountRuleException">The account is not open.</exception>
    public void Close(string reason)
    {
        EnsureOpen();
        Raise(new AccountClosed(reason));
    }

    /// <inheritdoc />
    protected override void Apply(object @event)
    {
        switch (@event)
        {
            case AccountOpened e:
                (Id, Owner, Currency) = (e.AccountId, e.Owner, e.Currency);
                break;
            case MoneyDeposited e:
                Balance += e.Amount;
                break;
            case MoneyWithdrawn e:
                Balance -= e.Amount;
                break;
            case AccountClosed:
                IsClosed = true;
                break;
            default:
                // Nothing is ignored: an event the account does not know is a bug (e.g. a missing upcaster).
                throw new InvalidOperationException($"Account cannot apply an event of type {@event.GetType().Name}.");
        }
    }

    /// <inheritdoc />
    protected override AccountSnapshot ToSnapshot() => new(Id, Owner, Currency, Balance, IsClosed);

    /// <inheritdoc />
    protected override void FromSnapshot(AccountSnapshot snapshot) =>
        (Id, Owner, Currency, Balance, IsClosed) = (snapshot.AccountId, snapshot.Owner, snapshot.Currency, snapshot.Balance, snapshot.IsClosed);

    private void EnsureOpen()
    {
        if (!IsOpened)
        {
            throw new AccountRuleException(AccountErrorCodes.NotFound, "The account was never opened.");
        }

        if (IsClosed)
        {
            throw new AccountRuleException(AccountErrorCodes.AccountClosed, $"Account {Id} is closed.");
        }
    }

    private void EnsureDecimals(decimal amount)
    {
        if (!Money.FitsDecimals(amount, Currency))
        {
            throw new AccountRuleException(AccountErrorCodes.InvalidAmount, string.Create(CultureInfo.InvariantCulture, $"{Currency} amounts have at most {Money.Decimals(Currency)} decimals; got {amount}."));
        }
    }

    private static void EnsurePositive(decimal amount)
    {
        if (amount <= 0)
        {
            throw new AccountRuleException(AccountErrorCodes.InvalidAmount, string.Create(CultureInfo.InvariantCulture, $"Amounts must be positive; got {amount}."));
        }
    }
}
