using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace EventSourcing;

/// <summary>
/// The place of an event in the store's global log: an opaque value that orders every event of a store
/// totally and stably. Positions of different stores are not comparable. Its string form
/// (<see cref="ToString"/>, 32 lower-case hexadecimal digits) is stable across versions, safe in URLs and
/// file names, sorts like the positions it stands for, and parses back with <see cref="Parse"/>: keep it
/// as a checkpoint or a resume token. How a backend encodes positions is its own business
/// (<see cref="FromParts"/>/<see cref="ToParts"/> are for backends).
/// </summary>
public readonly struct GlobalPosition : IComparable<GlobalPosition>, IEquatable<GlobalPosition>
{
    private const int HexLength = 32;

    private readonly ulong _major;
    private readonly ulong _minor;

    private GlobalPosition(ulong major, ulong minor)
    {
        _major = major;
        _minor = minor;
    }

    /// <summary>The position before the first event: reading after it reads everything.</summary>
    public static GlobalPosition Start { get; }

    /// <summary>True for <see cref="Start"/>.</summary>
    public bool IsStart => _major == 0 && _minor == 0;

    /// <summary>
    /// Makes a position from a backend's encoding: positions order by <paramref name="major"/>, then by
    /// <paramref name="minor"/> (backend SPI; PostgreSQL uses the writing transaction and a sequence, the
    /// in-memory store a counter).
    /// </summary>
    /// <param name="major">The most significant part.</param>
    /// <param name="minor">The least significant part; not negative.</param>
    /// <returns>The position.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minor"/> is negative.</exception>
    public static GlobalPosition FromParts(ulong major, long minor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minor);
        return new GlobalPosition(major, (ulong)minor);
    }

    /// <summary>The parts <see cref="FromParts"/> was given (backend SPI).</summary>
    /// <returns>The two parts.</returns>
    public (ulong Major, long Minor) ToParts() => (_major, (long)_minor);

    /// <summary>Reads the string form written by <see cref="ToString"/>.</summary>
    /// <param name="value">32 hexadecimal digits.</param>
    /// <returns>The position.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="value"/> is not a position.</exception>
    public static GlobalPosition Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var position)
            ? position
            : throw new FormatException($"'{value}' is not a global position: expected {HexLength} hexadecimal digits.");
    }

    /// <summary>Reads the string form written by <see cref="ToString"/>.</summary>
    /// <param name="value">32 hexadecimal digits.</param>
    /// <param name="position">The position, or <see cref="Start"/> when the value is not one.</param>
    /// <returns>True when the value is a position.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out GlobalPosition position)
    {
        position = Start;
        if (value is not { Length: HexLength }
            || !ulong.TryParse(value.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var major)
            || !ulong.TryParse(value.AsSpan(16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var minor)
            || minor > long.MaxValue)
        {
            return false;
        }

        position = new GlobalPosition(major, minor);
        return true;
    }

    /// <inheritdoc />
    public int CompareTo(GlobalPosition other)
    {
        var byMajor = _major.CompareTo(other._major);
        return byMajor != 0 ? byMajor : _minor.CompareTo(other._minor);
    }

    /// <inheritdoc />
    public bool Equals(GlobalPosition other) => _major == other._major && _minor == other._minor;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is GlobalPosition other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_major, _minor);

    /// <summary>The stable string form: 32 lower-case hexadecimal digits that sort like the positions.</summary>
    /// <returns>The string form.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{_major:x16}{_minor:x16}");

    /// <summary>Compares two positions.</summary>
    /// <param name="left">The first position.</param>
    /// <param name="right">The second position.</param>
    /// <returns>True when they are the same position.</returns>
    public static bool operator ==(GlobalPosition left, GlobalPosition right) => left.Equals(right);

    /// <summary>Compares two positions.</summary>
    /// <param name="left">The first position.</param>
    /// <param name="right">The second position.</param>
    /// <returns>True when they differ.</returns>
    public static bool operator !=(GlobalPosition left, GlobalPosition right) => !left.Equals(right);

    /// <summary>Compares two positions.</summary>
    /// <param name="left">The first position.</param>
    /// <param name="right">The second position.</param>
    /// <returns>True when <paramref name="left"/> comes first.</returns>
    public static bool operator <(GlobalPosition left, GlobalPosition right) => left.CompareTo(right) < 0;

    /// <summary>Compares two positions.</summary>
    /// <param name="left">The first position.</param>
    /// <param name="right">The second position.</param>
    /// <returns>True when <paramref name="left"/> comes last.</returns>
    public static bool operator >(GlobalPosition left, GlobalPosition right) => left.CompareTo(right) > 0;

    /// <summary>Compares two positions.</summary>
    /// <param name="left">The first position.</param>
    /// <param name="right">The second position.</param>
    /// <returns>True unless <paramref name="left"/> comes last.</returns>
    public static bool operator <=(GlobalPosition left, GlobalPosition right) => left.CompareTo(right) <= 0;

    /// <summary>Compares two positions.</summary>
    /// <param name="left">The first position.</param>
    /// <param name="right">The second position.</param>
    /// <returns>True unless <paramref name="left"/> comes first.</returns>
    public static bool operator >=(GlobalPosition left, GlobalPosition right) => left.CompareTo(right) >= 0;
}
