namespace EventSourcing.Storage;

/// <summary>
/// Wakes global-log readers (projection daemons) after a commit. Stores call <see cref="Notify"/> after
/// their commit — never before — and backends that hear about other processes' commits call it too.
/// A reader takes <see cref="NextSignal"/> before it reads, so a commit between its read and its wait
/// still wakes it. Part of the backend SPI: <c>AddEventSourcing</c> registers one per container, and a
/// backend's store calls <see cref="Notify"/> after each commit.
/// </summary>
public sealed class CommitNotifier
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;

    /// <summary>Counts notifications, so a backend can tell whether local commits happened since it last looked.</summary>
    public long Version => Volatile.Read(ref _version);

    /// <summary>Raised after each local <see cref="Notify"/>; backends use it to tell other processes.</summary>
    public event Action? Notified;

    /// <summary>Wakes readers in this process and raises <see cref="Notified"/>; call it after a commit, never before.</summary>
    public void Notify()
    {
        Interlocked.Increment(ref _version);
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        Notified?.Invoke();
    }

    /// <summary>Wakes readers without telling other processes (used for notifications that came from them).</summary>
    public void NotifyLocalOnly()
    {
        Interlocked.Increment(ref _version);
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>A task that completes at the next notification.</summary>
    /// <returns>The task.</returns>
    public Task NextSignal() => Volatile.Read(ref _next).Task;

    /// <summary>Waits for the signal or the timeout, whichever comes first.</summary>
    internal static async Task WaitAsync(Task signal, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await signal.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The polling fallback: the caller reads the log anyway.
        }
    }
}
