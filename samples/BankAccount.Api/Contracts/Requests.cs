namespace BankAccount.Api.Contracts;

/// <summary>The body of POST /accounts.</summary>
/// <param name="Owner">The account holder, 1 to 100 characters.</param>
/// <param name="Currency">A three-letter upper-case ISO currency code, e.g. "EUR".</param>
public sealed record OpenAccountRequest(string Owner, string Currency);

/// <summary>The body of POST /accounts/{id}/deposits and /withdrawals.</summary>
/// <param name="Amount">The amount: a JSON number, positive, up to 1000000000, with at most the account currency's decimals (2 for EUR, 0 for JPY, 3 for KWD).</param>
/// <param name="Currency">Deposits only, optional: the amount's currency; it must be the account's.</param>
public sealed record AmountRequest(decimal Amount, string? Currency);

/// <summary>The body of POST /accounts/{id}/close (optional; the reason defaults to "closed by the customer").</summary>
/// <param name="Reason">Why the account is closed, at most 200 characters.</param>
public sealed record CloseAccountRequest(string? Reason);
