namespace EventSourcing;

/// <summary>
/// Finds UTF-16 surrogates without their partner. UTF-8 (and so PostgreSQL's text and JSON) cannot hold
/// them: a serializer silently writes U+FFFD instead, so a stored string would differ from the one given.
/// Both stores refuse them before writing anything. A legitimate U+FFFD and valid pairs (emoji) pass.
/// </summary>
internal static class LoneSurrogates
{
    /// <summary>The index of the first lone surrogate, or -1.</summary>
    public static int IndexOf(ReadOnlySpan<char> text)
    {
        var i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return -1;
        }

        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Throws when <paramref name="text"/> holds a lone surrogate.</summary>
    /// <exception cref="ArgumentException">It does.</exception>
    public static void ThrowIfAny(string? text, string paramName, string what)
    {
        if (text is not null && IndexOf(text) is var i and >= 0)
        {
            throw Error(what, text[i], i, paramName);
        }
    }

    public static ArgumentException Error(string what, char surrogate, int index, string? paramName) =>
        new($"{what} holds a lone UTF-16 surrogate (U+{(int)surrogate:X4} at index {index}), which UTF-8 storage cannot keep; nothing was written.", paramName);
}
