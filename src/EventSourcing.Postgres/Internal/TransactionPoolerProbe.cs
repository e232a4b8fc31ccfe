using Npgsql;

namespace EventSourcing.Postgres.Internal;

/// <summary>
/// Recognises a transaction-mode pooler at start-up: two client connections open at the same time are
/// always two server sessions (two backend pids) directly or through a session-mode pooler, while a
/// transaction-mode pooler hands the server connection the first one just used (idle between
/// transactions) to the second. A pooler that hands out another server connection goes unseen: the probe
/// only refuses what it proves.
/// </summary>
internal static class TransactionPoolerProbe
{
    /// <summary>The backend pid both connections got, or null when they got different ones.</summary>
    public static async Task<int?> SharedBackendAsync(NpgsqlDataSource dataSource, int commandTimeout, CancellationToken cancellationToken)
    {
        var first = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var firstScope = first.ConfigureAwait(false);
        var firstPid = await PidAsync(first, commandTimeout, cancellationToken).ConfigureAwait(false);
        var second = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var secondScope = second.ConfigureAwait(false);
        var secondPid = await PidAsync(second, commandTimeout, cancellationToken).ConfigureAwait(false);
        return firstPid == secondPid ? firstPid : null;
    }

    /// <summary>The refusal when <see cref="PostgresOptions.TransactionPooling"/> is not set but the probe saw a pooler.</summary>
    public static InvalidOperationException Refusal(int pid) => new(
        $"Two connections open at the same time were served by one PostgreSQL server process (pid {pid}): the connections go through a pooler " +
        "in transaction pooling mode (such as PgBouncer with pool_mode = transaction), where prepared statements and session state " +
        "(advisory locks, LISTEN) land on server connections other clients share. Set PostgresOptions.TransactionPooling = true, " +
        "or connect to PostgreSQL directly or through a session-mode pool.");

    private static async Task<int> PidAsync(NpgsqlConnection connection, int commandTimeout, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand("select pg_backend_pid()", connection) { CommandTimeout = commandTimeout };
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}
