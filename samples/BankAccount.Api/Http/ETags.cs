using System.Globalization;

namespace BankAccount.Api.Http;

/// <summary>ETags of accounts: the stream version, quoted ("3"); the API only sends strong ones.</summary>
internal static class ETags
{
    public static string For(long version) => string.Create(CultureInfo.InvariantCulture, $"\"{version}\"");

    /// <summary>Parses a comma-separated list of entity tags such as <c>"3", W/"4"</c>; null when malformed.</summary>
    public static IReadOnlyList<(long Version, bool Weak)>? ParseList(string header)
    {
        var tags = new List<(long, bool)>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var weak = part.StartsWith("W/", StringComparison.Ordinal);
            var tag = weak ? part[2..] : part;
            if (tag.Length < 3 || tag[0] != '"' || tag[^1] != '"'
                || !long.TryParse(tag.AsSpan(1, tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                return null;
            }

            tags.Add((version, weak));
        }

        return tags.Count > 0 ? tags : null;
    }
}

/// <summary>
/// An If-Match header: "*" (any version), or the versions of its strong ETags. A weak ETag never matches:
/// If-Match compares strongly (RFC 9110 §13.1.1).
/// </summary>
/// <param name="Any">True for "*".</param>
/// <param name="Versions">The versions of the strong ETags.</param>
internal sealed record IfMatchCondition(bool Any, IReadOnlyList<long> Versions)
{
    public bool Matches(long version) => Any || Versions.Contains(version);

    public string Describe() => Versions.Count == 0
        ? "If-Match names only weak ETags, which never match a command (strong comparison, RFC 9110 §13.1.1)"
        : "If-Match expects version " + string.Join(" or ", Versions);
}
