using System.Globalization;

namespace BankAccount.Api.Http;

/// <summary>ETags of accounts: the stream version, quoted ("3").</summary>
internal static class ETags
{
    public static string For(long version) => string.Create(CultureInfo.InvariantCulture, $"\"{version}\"");

    /// <summary>Parses a comma-separated list of strong ETags such as <c>"3", "4"</c>; null when malformed.</summary>
    public static IReadOnlyList<long>? ParseList(string header)
    {
        var versions = new List<long>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.Length < 3 || part[0] != '"' || part[^1] != '"'
                || !long.TryParse(part.AsSpan(1, part.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                return null;
            }

            versions.Add(version);
        }

        return versions.Count > 0 ? versions : null;
    }
}
