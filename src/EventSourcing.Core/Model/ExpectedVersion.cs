namespace EventSourcing;

/// <summary>
/// The version a writer expects a stream to be at when it appends: the optimistic-concurrency check.
/// Stream versions start at 1; a stream with no events is at version 0. <c>default(ExpectedVersion)</c>
/// is not an expectation: stores refuse it with <see cref="ArgumentException"/>, so a forgotten
/// argument never passes for <see cref="NoStream"/>.
/// </summary>
public readonly record struct ExpectedVersion
{
    // Encoded so that default(ExpectedVersion) (0) differs from every real value: 1 = Any, 2 = StreamExists,
    // an exact version v (0 = NoStream … long.MaxValue) as ~v (negative).
    private readonly long _encoded;

    private ExpectedVersion(long value) => _encoded = value switch
    {
        -1 => 1,
        -2 => 2,
        _ => ~value,
    };

    /// <summary>Append whatever the stream's state.</summary>
    public static ExpectedVersion Any { get; } = new(-1);

    /// <summary>Append only if the stream has no events yet.</summary>
    public static ExpectedVersion NoStream { get; } = new(0);

    /// <summary>Append only if the stream already has at least one event.</summary>
    public static ExpectedVersion StreamExists { get; } = new(-2);

    /// <summary>
    /// The raw value: -1 for <see cref="Any"/>, -2 for <see cref="StreamExists"/>, 0 for
    /// <see cref="NoStream"/>, otherwise the exact version expected (-3 for <c>default(ExpectedVersion)</c>).
    /// </summary>
    public long Value => _encoded switch
    {
        0 => -3,
        1 => -1,
        2 => -2,
        _ => ~_encoded,
    };

    /// <summary>True for <c>default(ExpectedVersion)</c>, which stores refuse.</summary>
    public bool IsDefault => _encoded == 0;

    /// <summary>True when this requires an exact version (including <see cref="NoStream"/>, version 0).</summary>
    public bool IsExact => Value >= 0;

    /// <summary>Append only if the stream is exactly at <paramref name="version"/> (0 is <see cref="NoStream"/>).</summary>
    /// <param name="version">The version of the stream's last event.</param>
    /// <returns>The expected version.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is negative.</exception>
    public static ExpectedVersion Exactly(long version)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        return new ExpectedVersion(version);
    }

    /// <inheritdoc />
    public override string ToString() => Value switch
    {
        -1 => "Any",
        -2 => "StreamExists",
        0 => "NoStream",
        -3 => "(default)",
        _ => Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
