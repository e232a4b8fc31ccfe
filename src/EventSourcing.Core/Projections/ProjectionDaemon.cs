using EventSourcing.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventSourcing.Projections;

/// <summary>
/// Runs async projections: each catches up from its persisted checkpoint in batches through the global
/// log, then follows it live (woken after local commits, and by the backend for other processes'
/// commits, with polling as the fallback). Only the instance holding a projection's lease runs it; the
/// others stand by and take over when it goes away.
/// </summary>
public sealed partial class ProjectionDaemon : IHostedService, IAsyncDisposable
{
    private readonly IEventStore _store;
    private readonly IProjectionStore _projectionStore;
    private readonly ProjectionOptions _options;
    private readonly CommitNotifier? _notifier;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Runner> _runners = new(StringComparer.Ordinal);
    private CancellationTokenSource? _stopping;

    /// <summary>Creates a daemon for the given async projections; it polls for new events.</summary>
    /// <param name="store">The event store whose global log is read.</param>
    /// <param name="projectionStore">The backend's projection units of work, checkpoints and leases.</param>
    /// <param name="projections">The async projections; names must be unique.</param>
    /// <param name="options">Batching, waiting and failure handling; defaults when null.</param>
    /// <param name="logger">Where progress and failures are logged.</param>
    /// <param name="timeProvider">The clock of waits and retry delays; the system clock when null.</param>
    /// <exception cref="ArgumentException">Two projections share a name, a projection handles no event type, or <see cref="ProjectionOptions.Overrides"/> names no projection of the daemon.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public ProjectionDaemon(IEventStore store, IProjectionStore projectionStore, IEnumerable<IProjection> projections, ProjectionOptions? options = null, ILogger<ProjectionDaemon>? logger = null, TimeProvider? timeProvider = null)
        : this(store, projectionStore, projections, options, logger, notifier: null, timeProvider)
    {
    }

    internal ProjectionDaemon(IEventStore store, IProjectionStore projectionStore, IEnumerable<IProjection> projections, ProjectionOptions? options, ILogger<ProjectionDaemon>? logger, CommitNotifier? notifier, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(projectionStore);
        ArgumentNullException.ThrowIfNull(projections);
        _store = store;
        _projectionStore = projectionStore;
        _options = options ?? new ProjectionOptions();
        _options.Validate();
        _notifier = notifier;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        foreach (var (projection, types) in InlineProjectionSet.Index(projections, nameof(projections)))
        {
            _runners.Add(projection.Name, new Runner(projection, types, _options.For(projection.Name)));
        }

        ValidateOverrides();
    }

    /// <summary>What this node's daemon does (<see cref="ProjectionOptions.DaemonMode"/>).</summary>
    public ProjectionDaemonMode Mode => _options.DaemonMode;

    /// <summary>The names of the projections this daemon runs.</summary>
    public IReadOnlyCollection<string> Projections => _runners.Keys;

    /// <summary>Gets a projection's current status.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <returns>Its status.</returns>
    /// <exception cref="KeyNotFoundException">No such projection.</exception>
    public ProjectionStatus GetStatus(string projectionName) => RunnerFor(projectionName).Status;

    /// <summary>Counts the events of the projection's types after its checkpoint (its lag), up to a limit.</summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="limit">Stop counting here.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of events in the log after its checkpoint, at most <paramref name="limit"/>.</returns>
    /// <remarks>On a node that does not run the projection, the checkpoint is read from the store.</remarks>
    public async Task<long> GetLagAsync(string projectionName, int limit = 100_000, CancellationToken cancellationToken = default)
    {
        var runner = RunnerFor(projectionName);
        var from = (runner.IsLeader ? runner.Status.Checkpoint : null)
            ?? await LoadCheckpointAsync(projectionName, cancellationToken).ConfigureAwait(false)
            ?? GlobalPosition.Start;
        long lag = 0;
        await foreach (var _ in _store.ReadAllAsync(from, limit, runner.Projection.EventTypes, cancellationToken).ConfigureAwait(false))
        {
            lag++;
        }

        return lag;
    }

    /// <summary>
    /// Waits until a projection has committed a checkpoint at or after a position, e.g. an append's
    /// result, whichever node runs it: a node that does not run it follows the checkpoint in the store.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="position">The position to reach.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the projection is there.</returns>
    /// <exception cref="ProjectionFailedException">The projection stopped on a failure on this node.</exception>
    public async Task WaitForPositionAsync(string projectionName, GlobalPosition position, CancellationToken cancellationToken = default)
    {
        var runner = RunnerFor(projectionName);
        while (true)
        {
            var progressed = runner.Progressed;
            var status = runner.Status;
            if (status.Error is ProjectionFailedException failed)
            {
                throw failed;
            }

            if (status.Checkpoint is { } at && at >= position)
            {
                return;
            }

            if (runner.IsRunning)
            {
                await progressed.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            // Nothing on this node moves the status (not started, or disabled): ask the store.
            var stored = await LoadCheckpointAsync(projectionName, cancellationToken).ConfigureAwait(false);
            if (stored is { } reached && reached >= position)
            {
                return;
            }

            await Task.Delay(_options.PollInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_stopping is not null)
        {
            throw new InvalidOperationException("The projection daemon is already started.");
        }

        _options.Validate();
        ValidateOverrides();
        _stopping = new CancellationTokenSource();
        Register(this, started: true);
        LogStarted(_logger, _options.DaemonMode, _runners.Count, string.Join(", ", _runners.Keys));
        if (_options.DaemonMode == ProjectionDaemonMode.Disabled)
        {
            return Task.CompletedTask;
        }

        foreach (var runner in _runners.Values)
        {
            Launch(runner, _stopping.Token);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Starts a projection again that stopped on a failure (<see cref="ProjectionState.Faulted"/>): it
    /// resumes from its checkpoint with a fresh retry budget. Nothing happens when it is running.
    /// </summary>
    /// <param name="projectionName">The projection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the projection's runner is started again.</returns>
    /// <exception cref="KeyNotFoundException">No such projection.</exception>
    /// <exception cref="InvalidOperationException">The daemon is not started, or is disabled on this node.</exception>
    public async Task RestartAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        var runner = RunnerFor(projectionName);
        var stopping = _stopping ?? throw new InvalidOperationException("The projection daemon is not started.");
        if (_options.DaemonMode == ProjectionDaemonMode.Disabled)
        {
            throw new InvalidOperationException("The projection daemon is disabled on this node (ProjectionOptions.DaemonMode).");
        }

        if (runner.Status.State == ProjectionState.Faulted && runner.Loop is { } ending)
        {
            // A faulted runner ends its loop right after (it gives its lease back): let it finish.
            await ending.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        lock (runner)
        {
            if (runner.IsRunning)
            {
                return;
            }

            runner.Update(s => s with { State = ProjectionState.Stopped, Error = null });
            LogRestarted(_logger, projectionName);
            Launch(runner, stopping.Token);
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        var loops = _runners.Values.Select(r => r.Loop).OfType<Task>().ToArray();
        await Task.WhenAll(loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var runner in _runners.Values)
        {
            if (runner.Status.State != ProjectionState.Faulted)
            {
                runner.Update(s => s with { State = ProjectionState.Stopped });
            }
        }

        Register(this, started: false);
        LogStoppedDaemon(_logger);
        _stopping.Dispose();
        _stopping = null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>Overrides of a name that is not one of this daemon's projections are a typo: refuse them.</summary>
    private void ValidateOverrides()
    {
        foreach (var name in _options.Overrides.Keys)
        {
            if (!_runners.ContainsKey(name))
            {
                throw new ArgumentException($"ProjectionOptions.Overrides names '{name}', which is not an async projection of this daemon.", "options");
            }
        }
    }

    /// <summary>Starts the runner's loop with the options as they are now (they may be set after construction).</summary>
    private void Launch(Runner runner, CancellationToken stopping)
    {
        runner.Settings = _options.For(runner.Projection.Name);
        runner.Loop = Task.Run(() => _options.DaemonMode == ProjectionDaemonMode.Standby ? FollowStoreAsync(runner, stopping) : RunAsync(runner, stopping), CancellationToken.None);
    }

    private Runner RunnerFor(string projectionName) =>
        _runners.TryGetValue(projectionName, out var runner) ? runner : throw new KeyNotFoundException($"No async projection is named '{projectionName}'.");

    private async Task<GlobalPosition?> LoadCheckpointAsync(string name, CancellationToken cancellationToken)
    {
        var tx = await _projectionStore.BeginAsync(name, isRebuild: false, cancellationToken).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            return await tx.LoadCheckpointAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One projection's loop and its observable status.</summary>
    private sealed partial class Runner(IProjection projection, HashSet<string> types, ProjectionSettings settings)
    {
        private readonly Lock _statusGate = new();
        private TaskCompletionSource _progressed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IProjection Projection { get; } = projection;

        public ProjectionSettings Settings { get; set; } = settings;

        /// <summary>True while this node's loop for the projection runs (leading, standing by or following).</summary>
        public bool IsRunning => Loop is { IsCompleted: false };

        /// <summary>True while this node holds the lease and runs the projection.</summary>
        public bool IsLeader => IsRunning && Status.State is ProjectionState.CatchingUp or ProjectionState.Live;

        public ProjectionStatus Status { get; private set; } = new(projection.Name, ProjectionState.Stopped, null, 0, null, null);

        /// <summary>Held while a batch is processed, so a rebuild's swap never interleaves with one.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public Task? Loop { get; set; }

        public Task Progressed => Volatile.Read(ref _progressed).Task;

        public bool Handles(EventEnvelope envelope) => types.Contains(envelope.EventType);

        public void Update(Func<ProjectionStatus, ProjectionStatus> change)
        {
            lock (_statusGate)
            {
                Status = change(Status);
            }

            Interlocked.Exchange(ref _progressed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }
}
