namespace EventSourcing.Testing.Postgres;

/// <summary>What only a throwaway cluster from local binaries can do: a chosen transaction counter, dump and restore.</summary>
public sealed partial class PostgresServer
{
    private readonly LocalCluster? _cluster;

    private PostgresServer(LocalCluster cluster, string binaries)
        : this(cluster.ConnectionString, $"local binaries ({binaries})", cluster.DisposeAsync, cluster.RestartAsync)
    {
        _cluster = cluster;
    }

    /// <summary>
    /// Starts a dedicated throwaway cluster from local binaries whose transaction counter starts at
    /// <c><paramref name="transactionEpoch"/> &lt;&lt; 32</c> (64-bit transaction ids, xid8), as on a server
    /// that has run for a long time; <see cref="StartLocalAsync(CancellationToken)"/> starts one near 0.
    /// </summary>
    /// <param name="transactionEpoch">The epoch of the transaction counter (pg_resetwal -e); 0 leaves it as initdb made it.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The server; dispose it to stop and delete the cluster.</returns>
    /// <exception cref="InvalidOperationException">No local PostgreSQL binaries were found, or a tool failed.</exception>
    public static async Task<PostgresServer> StartLocalAsync(uint transactionEpoch, CancellationToken cancellationToken = default)
    {
        var binaries = LocalCluster.FindBinaries() ?? throw new InvalidOperationException("No PostgreSQL binaries in /usr/lib/postgresql/*/bin (or EVENTSOURCING_TEST_PG_BIN).");
        var cluster = await LocalCluster.StartAsync(binaries, cancellationToken, transactionEpoch).ConfigureAwait(false);
        return new PostgresServer(cluster, binaries);
    }

    /// <summary>
    /// Copies a database of this server into a new database of <paramref name="target"/> with pg_dump and
    /// pg_restore (custom format, no owners or grants), as an operator moving a system would.
    /// </summary>
    /// <param name="database">The database to dump.</param>
    /// <param name="target">The server to restore into (may be this one).</param>
    /// <param name="targetDatabase">The new database's name (dropped first if it exists).</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>The connection string of the restored database.</returns>
    /// <exception cref="NotSupportedException">A server was not started by <see cref="StartLocalAsync(uint, CancellationToken)"/>.</exception>
    /// <exception cref="InvalidOperationException">pg_dump or pg_restore failed; the message has their output.</exception>
    public async Task<string> CopyDatabaseAsync(string database, PostgresServer target, string targetDatabase, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var source = _cluster ?? throw new NotSupportedException($"Only a cluster started by StartLocalAsync(transactionEpoch) can dump; this server is from {Source}.");
        var destination = target._cluster ?? throw new NotSupportedException($"Only a cluster started by StartLocalAsync(transactionEpoch) can restore; that server is from {target.Source}.");
        var file = source.FilePath($"{database}-{Guid.NewGuid():N}.dump");
        await source.DumpAsync(database, file, cancellationToken).ConfigureAwait(false);
        var connectionString = await target.CreateDatabaseAsync(targetDatabase, cancellationToken).ConfigureAwait(false);
        await destination.RestoreAsync(file, targetDatabase, cancellationToken).ConfigureAwait(false);
        return connectionString;
    }

    /// <summary>
    /// Stops the server (fast shutdown: every session is terminated) and leaves it down until
    /// <see cref="StartServerAsync"/>, for tests that observe an application while its database is gone.
    /// </summary>
    /// <param name="cancellationToken">Cancels the stop.</param>
    /// <returns>A task that completes when the server is down.</returns>
    /// <exception cref="NotSupportedException">A server was not started by <see cref="StartLocalAsync(uint, CancellationToken)"/>.</exception>
    public Task StopServerAsync(CancellationToken cancellationToken = default) =>
        (_cluster ?? throw new NotSupportedException($"Only a cluster started by StartLocalAsync(transactionEpoch) can be stopped and started; this server is from {Source}.")).StopServerAsync(cancellationToken);

    /// <summary>Starts the server stopped by <see cref="StopServerAsync"/> again, on the same port with the same data.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the server accepts connections.</returns>
    /// <exception cref="NotSupportedException">A server was not started by <see cref="StartLocalAsync(uint, CancellationToken)"/>.</exception>
    public Task StartServerAsync(CancellationToken cancellationToken = default) =>
        (_cluster ?? throw new NotSupportedException($"Only a cluster started by StartLocalAsync(transactionEpoch) can be stopped and started; this server is from {Source}.")).StartServerAsync(cancellationToken);
}
