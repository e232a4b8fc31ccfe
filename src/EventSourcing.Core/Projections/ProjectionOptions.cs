namespace EventSourcing.Projections;

/// <summary>How the projection daemon reads, waits and handles failures. Defaults suit most systems.</summary>
public sealed class ProjectionOptions
{
    /// <summary>What this node's daemon does: run projections, only follow them, or nothing. <see cref="ProjectionDaemonMode.Active"/> by default.</summary>
    public ProjectionDaemonMode DaemonMode { get; set; } = ProjectionDaemonMode.Active;

    /// <summary>
    /// Events read and committed per unit of work (at most: a live projection near the head commits what
    /// is there). 5,000 by default, which lets a rebuild or a catch-up run at the speed of reading the log;
    /// the unit's transaction holds only the handlers' writes, so lower it when handlers run a statement
    /// per event or call slow services (see the README on keeping transactions short).
    /// </summary>
    public int BatchSize { get; set; } = 5_000;

    /// <summary>
    /// The longest a live projection waits before polling for events it was not woken for; also how often
    /// a standby re-reads the leader's checkpoint and tries to take over. 1 s by default.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Retries of a failing handler before <see cref="OnFailure"/> applies. 3 by default.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry delay; it doubles on each retry up to <see cref="MaxRetryBackoff"/>, with jitter. 100 ms by default.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between two retries of a failing handler (before jitter takes up to half off). 30 s by default.</summary>
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What happens when retries run out. <see cref="ProjectionFailurePolicy.Stop"/> by default.</summary>
    public ProjectionFailurePolicy OnFailure { get; set; } = ProjectionFailurePolicy.Stop;

    /// <summary>The delay before retrying after the store itself failed (e.g. the database restarted). 1 s by default.</summary>
    public TimeSpan StoreErrorBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Settings of single projections, by projection name, that override the daemon-wide ones above; a
    /// name that is not one of the daemon's projections fails its start-up.
    /// </summary>
    public IDictionary<string, ProjectionOverrides> Overrides { get; } = new Dictionary<string, ProjectionOverrides>(StringComparer.Ordinal);

    internal void Validate()
    {
        if (!Enum.IsDefined(DaemonMode))
        {
            throw new ArgumentOutOfRangeException(nameof(DaemonMode), DaemonMode, "Not a daemon mode.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero, nameof(PollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(StoreErrorBackoff, TimeSpan.Zero, nameof(StoreErrorBackoff));
        For(null).Validate(null);
        foreach (var (name, overrides) in Overrides)
        {
            ArgumentNullException.ThrowIfNull(overrides, $"{nameof(Overrides)}[{name}]");
            For(name).Validate(name);
        }
    }

    /// <summary>The effective settings of one projection: its overrides over the daemon-wide values.</summary>
    internal ProjectionSettings For(string? projectionName)
    {
        var o = projectionName is not null && Overrides.TryGetValue(projectionName, out var found) ? found : null;
        return new ProjectionSettings(
            o?.BatchSize ?? BatchSize,
            o?.MaxRetries ?? MaxRetries,
            o?.RetryBackoff ?? RetryBackoff,
            o?.MaxRetryBackoff ?? MaxRetryBackoff,
            o?.OnFailure ?? OnFailure);
    }
}
