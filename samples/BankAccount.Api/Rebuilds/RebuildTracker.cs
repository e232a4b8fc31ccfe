using System.Collections.Concurrent;
using EventSourcing.Projections;

namespace BankAccount.Api.Rebuilds;

/// <summary>
/// Starts projection rebuilds in the background (one at a time per projection) and keeps their status
/// for polling. A rebuild stops when the application does; the live read model is untouched until the
/// daemon swaps the finished shadow in.
/// </summary>
internal sealed partial class RebuildTracker(ProjectionDaemon daemon, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<RebuildTracker> logger)
{
    /// <summary>Finished rebuilds kept for polling, per projection.</summary>
    private const int KeepFinished = 20;

    private readonly ConcurrentDictionary<string, RebuildJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RebuildJob> _running = new(StringComparer.Ordinal);

    /// <summary>Whether the daemon runs the projection (only async projections can be rebuilt).</summary>
    public bool IsAsync(string projection) => daemon.Projections.Contains(projection, StringComparer.Ordinal);

    /// <summary>Starts a rebuild, unless one of the projection is running.</summary>
    /// <param name="projection">An async projection's name.</param>
    /// <param name="running">The rebuild already running, when it returns null.</param>
    /// <returns>The new rebuild, or null.</returns>
    public RebuildJob? TryStart(string projection, out RebuildJob? running)
    {
        var job = new RebuildJob(Guid.CreateVersion7().ToString("N"), projection, time.GetUtcNow());
        running = _running.GetOrAdd(projection, job);
        if (!ReferenceEquals(running, job))
        {
            return null;
        }

        running = null;
        _jobs[job.Id] = job;
        Forget(projection);
        _ = Task.Run(() => RunAsync(job), CancellationToken.None);
        return job;
    }

    public RebuildJob? Find(string projection, string id) =>
        _jobs.TryGetValue(id, out var job) && job.Projection == projection ? job : null;

    private async Task RunAsync(RebuildJob job)
    {
        try
        {
            var read = await daemon.RebuildAsync(job.Projection, job, lifetime.ApplicationStopping);
            job.Finish(time.GetUtcNow(), read, error: null);
        }
        catch (Exception ex)
        {
            LogRebuildFailed(logger, ex, job.Projection, job.Id);
            job.Finish(time.GetUtcNow(), 0, ex);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<string, RebuildJob>(job.Projection, job));
        }
    }

    private void Forget(string projection)
    {
        var finished = _jobs.Values.Where(j => j.Projection == projection && !j.IsRunning).OrderBy(j => j.Id, StringComparer.Ordinal).ToList();
        foreach (var old in finished.Take(Math.Max(0, finished.Count - KeepFinished)))
        {
            _jobs.TryRemove(old.Id, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Rebuild {RebuildId} of projection {Projection} failed.")]
    private static partial void LogRebuildFailed(ILogger logger, Exception exception, string projection, string rebuildId);
}
