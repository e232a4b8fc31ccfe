using EventSourcing.Postgres.Internal;
using EventSourcing.Storage;
using Npgsql;

namespace EventSourcing.Postgres;

/// <summary>
/// Checkpoints in PostgreSQL, moved by a fenced update: <c>update … where position = the expected one</c>;
/// no row updated means another instance moved on, and the save fails with
/// <see cref="CheckpointConflictException"/>. To commit a read model and its checkpoint atomically, use
/// <see cref="SaveInTransactionAsync"/>
/// inside the read model's transaction.
/// </summary>
public sealed class PostgresCheckpointStore : ICheckpointStore
{
    private readonly PostgresBackend _backend;

    /// <summary>Creates the store. No SQL runs here.</summary>
    /// <param name="dataSource">The data source; not disposed by the store.</param>
    /// <param name="options">The schema and command timeout.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The schema name or the command timeout is invalid.</exception>
    public PostgresCheckpointStore(NpgsqlDataSource dataSource, PostgresOptions options)
        : this(new PostgresBackend(dataSource, options))
    {
    }

    /// <summary>Creates the store on the backend the DI wiring shares.</summary>
    internal PostgresCheckpointStore(PostgresBackend backend) => _backend = backend;

    /// <inheritdoc />
    public async ValueTask<GlobalPosition?> LoadAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        return await CheckpointCommands.LoadAsync(_backend, connection, transaction: null, name, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SaveAsync(string name, GlobalPosition? expected, GlobalPosition position, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var connection = await _backend.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        await CheckpointCommands.SaveAsync(_backend, connection, transaction: null, name, expected, position, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves a checkpoint inside the caller's transaction, so the read-model changes made in it and the
    /// checkpoint commit (or roll back) together: exactly-once effect for a projection.
    /// </summary>
    /// <param name="name">The reader's name.</param>
    /// <param name="expected">The position the checkpoint must be at now; null when it must not exist yet.</param>
    /// <param name="position">The new position.</param>
    /// <param name="transaction">The open transaction, on a connection to the database holding the schema.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the checkpoint moved (visible to others once the transaction commits).</returns>
    /// <exception cref="CheckpointConflictException">The checkpoint is not at <paramref name="expected"/>; roll the transaction back.</exception>
    public Task SaveInTransactionAsync(string name, GlobalPosition? expected, GlobalPosition position, NpgsqlTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(transaction);
        var connection = transaction.Connection ?? throw new ArgumentException("The transaction is already completed.", nameof(transaction));
        return CheckpointCommands.SaveAsync(_backend, connection, transaction, name, expected, position, cancellationToken);
    }
}
