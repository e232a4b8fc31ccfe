namespace EventSourcing;

/// <summary>
/// Identifies one stream: the ordered events of one aggregate. A valid id is non-empty, not only
/// white space, at most <see cref="MaxLength"/> characters, free of control characters and of lone
/// UTF-16 surrogates (which UTF-8 storage cannot keep).
/// </summary>
public readonly record struct StreamId
{
    /// <summary>The longest stream id accepted, in UTF-16 characters.</summary>
    public const int MaxLength = 200;

    private readonly string? _value;

    /// <summary>Creates a validated stream id.</summary>
    /// <param name="value">The id.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> is empty, white space, too long, or holds a control character or a lone surrogate.</exception>
    public StreamId(string value)
    {
        Validate(value);
        _value = value;
    }

    /// <summary>The id as given.</summary>
    /// <exception cref="InvalidOperationException">The value is <c>default(StreamId)</c>, which is not a valid id.</exception>
    public string Value => _value ?? throw new InvalidOperationException("default(StreamId) is not a valid stream id.");

    /// <summary>True when this is <c>default(StreamId)</c> rather than a validated id.</summary>
    public bool IsDefault => _value is null;

    /// <summary>Creates a validated stream id.</summary>
    /// <param name="value">The id.</param>
    /// <returns>The stream id.</returns>
    /// <exception cref="ArgumentException">The value is not a valid stream id.</exception>
    public static StreamId From(string value) => new(value);

    /// <summary>
    /// Converts a string to a validated stream id. Explicit, because it validates and may throw:
    /// <c>(StreamId)"account-1"</c>, <c>StreamId.From(s)</c> and <c>new StreamId(s)</c> are the same.
    /// </summary>
    /// <param name="value">The id.</param>
    /// <exception cref="ArgumentException">The value is not a valid stream id.</exception>
    public static explicit operator StreamId(string value) => new(value);

    /// <inheritdoc />
    public override string ToString() => _value ?? string.Empty;

    internal void EnsureValid()
    {
        if (_value is null)
        {
            throw new ArgumentException("default(StreamId) is not a valid stream id.", "streamId");
        }
    }

    private static void Validate(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0 || string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException("A stream id must not be empty or white space.", nameof(value));
        }

        if (value.Length > MaxLength)
        {
            throw new ArgumentException($"A stream id must be at most {MaxLength} characters; got {value.Length}.", nameof(value));
        }

        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                throw new ArgumentException($"A stream id must not contain control characters (found U+{(int)c:X4}).", nameof(value));
            }
        }

        LoneSurrogates.ThrowIfAny(value, nameof(value), "A stream id");
    }
}
