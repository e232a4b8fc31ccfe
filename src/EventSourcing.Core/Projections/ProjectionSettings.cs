namespace EventSourcing.Projections;

/// <summary>One projection's effective settings (daemon-wide values with its overrides applied).</summary>
internal sealed record ProjectionSettings(int BatchSize, int MaxRetries, TimeSpan RetryBackoff, TimeSpan MaxRetryBackoff, ProjectionFailurePolicy OnFailure)
{
    public void Validate(string? projectionName)
    {
        var prefix = projectionName is null ? "" : $"Overrides[{projectionName}].";
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, prefix + nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries, prefix + nameof(MaxRetries));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryBackoff, TimeSpan.Zero, prefix + nameof(RetryBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryBackoff, RetryBackoff, prefix + nameof(MaxRetryBackoff));
        if (!Enum.IsDefined(OnFailure))
        {
            throw new ArgumentOutOfRangeException(prefix + nameof(OnFailure), OnFailure, "Not a failure policy.");
        }
    }

    /// <summary>
    /// The delay before retry <paramref name="attempt"/> (1-based): the first backoff doubled per attempt,
    /// capped, then between half and all of that at random, so failing instances do not retry in step.
    /// </summary>
    public TimeSpan Backoff(int attempt, double random)
    {
        var doublings = Math.Min(attempt - 1, 62);
        var ticks = RetryBackoff.Ticks * Math.Pow(2, doublings);
        var capped = Math.Min(ticks, MaxRetryBackoff.Ticks);
        return TimeSpan.FromTicks((long)(capped * (0.5 + (random / 2))));
    }
}
