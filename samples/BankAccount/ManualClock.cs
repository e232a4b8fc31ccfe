namespace BankAccount;

/// <summary>A clock the tour moves by hand, so timestamps and "as of" answers are the same on every run.</summary>
/// <param name="start">The time the clock starts at.</param>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _now;

    /// <summary>Moves the clock forward.</summary>
    /// <param name="by">How far.</param>
    public void Advance(TimeSpan by) => _now += by;
}
