namespace EventSourcing.Documents;

/// <summary>
/// The input rules of documents, the same on every backend (backend SPI): collection names and ids are
/// not empty, at most <see cref="MaxLength"/> characters, without NUL characters or lone surrogates
/// (PostgreSQL text cannot hold them), and pages hold at least one document.
/// </summary>
public static class DocumentGuard
{
    /// <summary>The longest collection name or document id accepted.</summary>
    public const int MaxLength = 500;

    /// <summary>Checks a collection name and a document id.</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The document's id.</param>
    /// <exception cref="ArgumentException">One of them breaks the rules.</exception>
    public static void Validate(string collection, string id)
    {
        Validate(collection);
        Check(id, nameof(id));
    }

    /// <summary>Checks a collection name.</summary>
    /// <param name="collection">The collection.</param>
    /// <exception cref="ArgumentException">It breaks the rules.</exception>
    public static void Validate(string collection) => Check(collection, nameof(collection));

    /// <summary>Checks the arguments of a load of several documents.</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="ids">The ids.</param>
    /// <exception cref="ArgumentException">The collection or an id breaks the rules.</exception>
    public static void ValidateMany(string collection, IReadOnlyCollection<string> ids)
    {
        Validate(collection);
        ArgumentNullException.ThrowIfNull(ids);
        foreach (var id in ids)
        {
            Check(id, nameof(ids));
        }
    }

    /// <summary>Checks the arguments of a write of several documents: valid, distinct ids and JSON for each.</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="documents">The ids and documents.</param>
    /// <exception cref="ArgumentException">The collection or an id breaks the rules, or an id appears twice.</exception>
    public static void ValidateMany(string collection, IReadOnlyList<KeyValuePair<string, byte[]>> documents)
    {
        Validate(collection);
        ArgumentNullException.ThrowIfNull(documents);
        var seen = new HashSet<string>(documents.Count, StringComparer.Ordinal);
        foreach (var (id, json) in documents)
        {
            Check(id, nameof(documents));
            if (json is null)
            {
                throw new ArgumentException($"Document '{id}' has no JSON.", nameof(documents));
            }

            if (!seen.Add(id))
            {
                throw new ArgumentException($"Document '{id}' appears twice.", nameof(documents));
            }
        }
    }

    /// <summary>Checks the arguments of a list call.</summary>
    /// <param name="collection">The collection.</param>
    /// <param name="limit">The page size.</param>
    /// <exception cref="ArgumentException">The collection breaks the rules.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The limit is below 1.</exception>
    public static void ValidateList(string collection, int limit)
    {
        Validate(collection);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
    }

    /// <summary>The order of ids in lists: by Unicode code point, as UTF-8 bytes compare (SQLite) and PostgreSQL's "C" collation sorts.</summary>
    internal static IComparer<string> Order { get; } = new CodePointOrder();

    private static void Check(string value, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, paramName);
        if (value.Length > MaxLength)
        {
            throw new ArgumentException($"At most {MaxLength} characters are allowed; got {value.Length}.", paramName);
        }

        if (value.Contains('\0', StringComparison.Ordinal) || LoneSurrogates.IndexOf(value) >= 0)
        {
            throw new ArgumentException("NUL characters and lone UTF-16 surrogates are not allowed.", paramName);
        }
    }

    private sealed class CodePointOrder : IComparer<string>
    {
        public int Compare(string? x, string? y)
        {
            if (x is null || y is null)
            {
                return x is null ? (y is null ? 0 : -1) : 1;
            }

            var length = Math.Min(x.Length, y.Length);
            for (var i = 0; i < length; i++)
            {
                if (x[i] != y[i])
                {
                    return Fix(x[i]) - Fix(y[i]);
                }
            }

            return x.Length - y.Length;
        }

        // UTF-16 puts surrogates (U+10000 and up) below U+E000..U+FFFF; code point order puts them above.
        private static int Fix(char c) => c < '\uD800' ? c : c >= '\uE000' ? c - 0x800 : c + 0x2000;
    }
}
