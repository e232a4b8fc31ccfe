namespace BankAccount.Api.Http;

/// <summary>The limits of an amount in a request; the decimals are the account's currency's (see <c>Money.Decimals</c>).</summary>
internal static class Amounts
{
    public const string Field = "amount";

    public const decimal Max = 1_000_000_000m;

    public const string Rule = "Give a positive JSON number up to 1000000000, with at most the account currency's decimals (2 for EUR, 0 for JPY, 3 for KWD).";
}
