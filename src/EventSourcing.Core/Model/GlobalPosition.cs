namespace EventSourcing;

/// <summary>
/// The place of an event in the store's global log: an opaque value that orders every event of a store
/// totally and stably. On PostgreSQL it is the pair (writing transaction id, sequence); the in-memory
/// store uses a counter. Positions of different stores are not comparable.
/// </summary>
/// <param name="TransactionId">The writing transaction (0 on stores without one).</param>
/// <param name="Sequence">The tie-breaker within a transaction, or the counter.</param>
public readonly record struct GlobalPosition(ulong TransactionId, long Sequence) : IComparable<GlobalPosition>
{
    /// <summary>The position before the first event: reading after it reads everything.</summary>
    public static GlobalPosition Start { get; }

    /// <inheritdoc />
    public int CompareTo(GlobalPosition other)
    {
        var byTransaction = TransactionId.CompareTo(other.TransactionId);
        return byTransaction != 0 ? byTransaction : Sequence.CompareTo(other.Sequence);
    }

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

    /// <inheritdoc />
    public override string ToString() => $"{TransactionId}/{Sequence}";
}
