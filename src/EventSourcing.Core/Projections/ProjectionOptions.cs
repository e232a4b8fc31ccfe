namespace EventSourcing.Projections;

/// <summary>How the projection daemon reads, waits and handles failures. Defaults suit most systems.</summary>
public sealed class ProjectionOptions
{
    /// <summary>Events read and committed per unit of work. 500 by default.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>The longest a live projection waits before polling for events it was not woken for. 1 s by default.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Retries of a failing handler before <see cref="OnFailure"/> applies. 3 by default.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry delay; it doubles on each retry. 100 ms by default.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>What happens when retries run out. <see cref="ProjectionFailurePolicy.Stop"/> by default.</summary>
    public ProjectionFailurePolicy OnFailure { get; set; } = ProjectionFailurePolicy.Stop;

    /// <summary>The delay before retrying after the store itself failed (e.g. the database restarted). 1 s by default.</summary>
    public TimeSpan StoreErrorBackoff { get; set; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries, nameof(MaxRetries));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero, nameof(PollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryBackoff, TimeSpan.Zero, nameof(RetryBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(StoreErrorBackoff, TimeSpan.Zero, nameof(StoreErrorBackoff));
    }
}
