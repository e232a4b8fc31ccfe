namespace EventSourcing.Projections;

/// <summary>
/// The right to run a projection (or a rebuild of it) on this instance. It knows when it is lost:
/// <see cref="Lost"/> is cancelled when the backend finds that another instance took it (or that it can
/// no longer tell, e.g. a renewal failed), and when it is disposed. Each acquisition of a name gets a
/// higher <see cref="Epoch"/>; a unit of work fenced on the lease
/// (<see cref="ProjectionTransaction.FenceAsync"/>) commits only while that epoch is the current one, so a
/// stale holder can never commit after a newer one acquired the name, even between two of its checks.
/// </summary>
public abstract class ProjectionLease : IAsyncDisposable
{
    private readonly CancellationTokenSource _lost = new();
    private int _disposed;

    /// <summary>Creates a held lease.</summary>
    /// <param name="name">The name it holds.</param>
    /// <param name="epoch">Its acquisition number: higher than that of every earlier acquisition of the name.</param>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    protected ProjectionLease(string name, long epoch)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Epoch = epoch;
    }

    /// <summary>The name it holds.</summary>
    public string Name { get; }

    /// <summary>Its acquisition number: strictly increasing per name, across instances and restarts.</summary>
    public long Epoch { get; }

    /// <summary>Cancelled once the lease is lost or released: stop work done under it.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>True once the lease is lost or released.</summary>
    public bool IsLost => _lost.IsCancellationRequested;

    /// <summary>Releases the lease (once) so another instance can take it at once.</summary>
    /// <returns>A task that completes when released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        MarkLost();
        await ReleaseAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Marks the lease lost (idempotent): backends call it when they find it taken or cannot renew it.</summary>
    protected void MarkLost()
    {
        if (_lost.IsCancellationRequested)
        {
            return;
        }

        try
        {
            _lost.Cancel();
        }
        catch (AggregateException)
        {
            // A callback of a token linked to Lost threw; the lease is lost all the same.
        }
        catch (ObjectDisposedException)
        {
            // Raced with another MarkLost; already lost.
        }
    }

    /// <summary>Gives the lease back in the backend; called once, after <see cref="Lost"/> was cancelled.</summary>
    /// <returns>A task that completes when released (a backend that cannot reach its store lets the lease expire).</returns>
    protected abstract ValueTask ReleaseAsync();
}
