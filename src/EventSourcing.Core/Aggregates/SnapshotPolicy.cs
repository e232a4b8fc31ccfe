namespace EventSourcing.Aggregates;

/// <summary>Decides when the repository takes a snapshot after a save. Off by default.</summary>
public sealed class SnapshotPolicy
{
    private readonly Func<long, long, bool> _shouldTake;

    private SnapshotPolicy(Func<long, long, bool> shouldTake) => _shouldTake = shouldTake;

    /// <summary>Never take snapshots.</summary>
    public static SnapshotPolicy Never { get; } = new((_, _) => false);

    /// <summary>Take a snapshot whenever a save crosses a multiple of <paramref name="events"/>.</summary>
    /// <param name="events">The interval in events.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="events"/> is below 1.</exception>
    public static SnapshotPolicy Every(int events)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(events, 1);
        return new((before, after) => after / events > before / events);
    }

    /// <summary>Take a snapshot when the predicate says so.</summary>
    /// <param name="predicate">Gets the version before and after the save.</param>
    /// <returns>The policy.</returns>
    public static SnapshotPolicy When(Func<long, long, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return new(predicate);
    }

    /// <summary>True when this policy never takes snapshots.</summary>
    public bool IsNever => ReferenceEquals(this, Never);

    internal bool ShouldTake(long versionBefore, long versionAfter) => _shouldTake(versionBefore, versionAfter);
}
