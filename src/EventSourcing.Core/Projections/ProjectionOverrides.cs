namespace EventSourcing.Projections;

/// <summary>Settings of one projection that override the daemon-wide <see cref="ProjectionOptions"/>; null keeps the daemon's value.</summary>
public sealed class ProjectionOverrides
{
    /// <summary>Events read and committed per unit of work.</summary>
    public int? BatchSize { get; set; }

    /// <summary>Retries of a failing handler before <see cref="OnFailure"/> applies.</summary>
    public int? MaxRetries { get; set; }

    /// <summary>The first retry delay.</summary>
    public TimeSpan? RetryBackoff { get; set; }

    /// <summary>The longest delay between two retries.</summary>
    public TimeSpan? MaxRetryBackoff { get; set; }

    /// <summary>What happens when retries run out.</summary>
    public ProjectionFailurePolicy? OnFailure { get; set; }
}
