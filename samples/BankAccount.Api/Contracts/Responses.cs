using System.Globalization;
using BankAccount.Domain;
using BankAccount.Domain.ReadModels;

namespace BankAccount.Api.Contracts;

/// <summary>An account: GET /accounts/{id} and every command's response.</summary>
/// <param name="Id">The account's id.</param>
/// <param name="Owner">The account holder.</param>
/// <param name="Currency">The account's currency.</param>
/// <param name="Balance">The balance, with the currency's decimals (10.00 EUR, 1000 JPY).</param>
/// <param name="Status">"open" or "closed".</param>
/// <param name="Version">The stream version, also sent as the ETag.</param>
/// <param name="AsOf">For a temporal query: the version or time asked for; absent otherwise.</param>
public sealed record AccountResponse(string Id, string Owner, string Currency, decimal Balance, string Status, long Version, string? AsOf = null)
{
    public static AccountResponse From(Account account, string? asOf = null) =>
        new(account.Id, account.Owner, account.Currency, Money.WithDecimals(account.Balance, account.Currency), account.IsClosed ? "closed" : "open", account.Version, asOf);

    public static AccountResponse From(AccountView view) =>
        new(view.AccountId, view.Owner, view.Currency, Money.WithDecimals(view.Balance, view.Currency), view.Status == AccountStatus.Closed ? "closed" : "open", view.Version);
}

/// <summary>A page of an account's audit trail: GET /accounts/{id}/events.</summary>
/// <param name="AccountId">The account's id.</param>
/// <param name="Total">Entries in the audit log for the account.</param>
/// <param name="Entries">This page's entries, oldest first.</param>
/// <param name="Next">The URL of the next page, or null on the last one.</param>
public sealed record AuditPageResponse(string AccountId, long Total, IReadOnlyList<AuditEntryResponse> Entries, string? Next);

/// <summary>One entry of the audit trail.</summary>
/// <param name="Version">The event's stream version.</param>
/// <param name="Type">The event's type name.</param>
/// <param name="Description">What happened.</param>
/// <param name="Amount">The amount moved, with the currency's decimals; absent when no money moved.</param>
/// <param name="Currency">The account's currency.</param>
/// <param name="User">Who did it (the X-User header of the command).</param>
/// <param name="CorrelationId">The correlation id of the command's request.</param>
/// <param name="Timestamp">When it was recorded.</param>
/// <param name="EventId">The event's id.</param>
public sealed record AuditEntryResponse(long Version, string Type, string Description, decimal? Amount, string Currency, string User, string? CorrelationId, DateTimeOffset Timestamp, Guid EventId)
{
    public static AuditEntryResponse From(AuditEntry e) =>
        new(e.StreamVersion, e.EventType, e.Description, e.Amount is { } amount ? Money.WithDecimals(amount, e.Currency) : null, e.Currency, e.User, e.CorrelationId, e.Timestamp, e.EventId);
}

/// <summary>Daily volume: GET /reports/daily-volume.</summary>
/// <param name="Day">The day (UTC), yyyy-MM-dd.</param>
/// <param name="Currency">The currency.</param>
/// <param name="Deposited">The day's deposits.</param>
/// <param name="Withdrawn">The day's withdrawals.</param>
/// <param name="TransactionCount">The day's deposits plus withdrawals.</param>
public sealed record DailyVolumeResponse(string Day, string Currency, decimal Deposited, decimal Withdrawn, long TransactionCount)
{
    public static DailyVolumeResponse From(DailyVolume d) =>
        new(d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Currency, Money.WithDecimals(d.Deposited, d.Currency), Money.WithDecimals(d.Withdrawn, d.Currency), d.TransactionCount);
}

/// <summary>A projection's state: GET /admin/projections.</summary>
/// <param name="Name">The projection.</param>
/// <param name="Mode">"inline" or "async".</param>
/// <param name="State">For async ones: Stopped, Standby, CatchingUp, Live or Faulted.</param>
/// <param name="Checkpoint">The last global position committed: 32 lower-case hexadecimal digits that sort like the positions (the library's GlobalPosition string form); absent before the first.</param>
/// <param name="EventsProjected">Events handled since the process started.</param>
/// <param name="Lag">Events in the log after the checkpoint (at most 10,000 counted).</param>
/// <param name="Error">Why it stopped, when faulted.</param>
public sealed record ProjectionResponse(string Name, string Mode, string? State, string? Checkpoint, long? EventsProjected, long? Lag, string? Error);

/// <summary>Bank-wide totals in one currency: GET /reports/totals.</summary>
/// <param name="Currency">The ISO currency code.</param>
/// <param name="Deposited">The sum of all deposits, with the currency's decimals.</param>
/// <param name="Withdrawn">The sum of all withdrawals, with the currency's decimals.</param>
/// <param name="TransactionCount">Deposits plus withdrawals.</param>
/// <param name="Accounts">Accounts opened in this currency.</param>
public sealed record CurrencyTotalsResponse(string Currency, decimal Deposited, decimal Withdrawn, long TransactionCount, long Accounts)
{
    public static CurrencyTotalsResponse From(CurrencyTotals t) =>
        new(t.Currency, Money.WithDecimals(t.Deposited, t.Currency), Money.WithDecimals(t.Withdrawn, t.Currency), t.TransactionCount, t.Accounts);
}

/// <summary>One account's totals: GET /reports/accounts/{id}.</summary>
/// <param name="AccountId">The account's id.</param>
/// <param name="Currency">The account's currency.</param>
/// <param name="Deposited">The sum of its deposits, with the currency's decimals.</param>
/// <param name="Withdrawn">The sum of its withdrawals, with the currency's decimals.</param>
/// <param name="TransactionCount">Its deposits plus withdrawals.</param>
public sealed record AccountTotalsResponse(string AccountId, string Currency, decimal Deposited, decimal Withdrawn, long TransactionCount)
{
    public static AccountTotalsResponse From(AccountTotals t) =>
        new(t.AccountId, t.Currency, Money.WithDecimals(t.Deposited, t.Currency), Money.WithDecimals(t.Withdrawn, t.Currency), t.TransactionCount);
}
