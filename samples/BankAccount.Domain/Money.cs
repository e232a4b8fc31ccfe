using System.Globalization;

namespace BankAccount.Domain;

/// <summary>Amounts with their currency's decimals (ISO 4217 minor units), formatted the same way on every machine.</summary>
public static class Money
{
    /// <summary>
    /// The decimals of a currency (its ISO 4217 minor unit): 0 for JPY, KRW and the other currencies
    /// without a minor unit, 3 for BHD, IQD, JOD, KWD, LYD, OMR and TND, 2 for the rest.
    /// </summary>
    /// <param name="currency">The ISO currency code.</param>
    /// <returns>0, 2 or 3.</returns>
    public static int Decimals(string currency) => currency switch
    {
        "BIF" or "CLP" or "DJF" or "GNF" or "ISK" or "JPY" or "KMF" or "KRW" or "PYG" or "RWF" or "UGX" or "UYI" or "VND" or "VUV" or "XAF" or "XOF" or "XPF" => 0,
        "BHD" or "IQD" or "JOD" or "KWD" or "LYD" or "OMR" or "TND" => 3,
        _ => 2,
    };

    /// <summary>The amount with exactly its currency's decimals, e.g. 10 EUR as 10.00 (a decimal keeps its scale, so JSON shows "10.00").</summary>
    /// <param name="amount">The amount, with at most the currency's decimals.</param>
    /// <param name="currency">The ISO currency code.</param>
    /// <returns>The same amount at the currency's scale.</returns>
    public static decimal WithDecimals(decimal amount, string currency) =>
        decimal.Parse(amount.ToString("F" + Decimals(currency).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Whether the amount has at most the currency's decimals.</summary>
    /// <param name="amount">The amount.</param>
    /// <param name="currency">The ISO currency code.</param>
    /// <returns>True when no digit is finer than the currency's minor unit.</returns>
    public static bool FitsDecimals(decimal amount, string currency) => decimal.Round(amount, Decimals(currency)) == amount;

    /// <summary>Formats an amount with its currency's decimals and the currency, e.g. "1,250.00 EUR" or "1,250 JPY".</summary>
    /// <param name="amount">The amount.</param>
    /// <param name="currency">The ISO currency code.</param>
    /// <returns>The text.</returns>
    public static string Format(decimal amount, string currency) =>
        string.Create(CultureInfo.InvariantCulture, $"{amount.ToString("N" + Decimals(currency).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)} {currency}");
}
