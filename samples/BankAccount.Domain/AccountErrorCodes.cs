namespace BankAccount.Domain;

/// <summary>
/// The stable codes of <see cref="AccountRuleException"/>. Clients match on these (the HTTP API returns
/// them with 422), so never change one; add a new code instead.
/// </summary>
public static class AccountErrorCodes
{
    /// <summary>An amount was zero or negative.</summary>
    public const string InvalidAmount = "invalid_amount";

    /// <summary>A withdrawal was larger than the balance; accounts cannot be overdrawn.</summary>
    public const string InsufficientFunds = "insufficient_funds";

    /// <summary>The account is closed; nothing more happens on it.</summary>
    public const string AccountClosed = "account_closed";

    /// <summary>The account was already opened.</summary>
    public const string AlreadyOpen = "account_already_open";

    /// <summary>The account was never opened.</summary>
    public const string NotFound = "account_not_found";

    /// <summary>A deposit was in another currency than the account's.</summary>
    public const string CurrencyMismatch = "currency_mismatch";

    /// <summary>An account id, owner or currency code was missing or malformed.</summary>
    public const string InvalidDetails = "invalid_account_details";
}
