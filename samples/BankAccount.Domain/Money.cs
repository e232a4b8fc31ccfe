using System.Globalization;

namespace BankAccount.Domain;

/// <summary>Formats amounts the same way on every machine.</summary>
public static class Money
{
    /// <summary>Formats an amount with two decimals and its currency, e.g. "1,250.00 EUR".</summary>
    /// <param name="amount">The amount.</param>
    /// <param name="currency">The ISO currency code.</param>
    /// <returns>The text.</returns>
    public static string Format(decimal amount, string currency) =>
        string.Create(CultureInfo.InvariantCulture, $"{amount:#,0.00} {currency}");
}
